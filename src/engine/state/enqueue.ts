/**
 * `apply --state`: the operator's side. Fold the shared journal, refuse a changed plan, and hand
 * the runners what remains — run-start, one work row per selected workload with steps left, the
 * dependents of what cannot run skipped — in one transaction that a second operator's apply of
 * the same plan cannot share.
 */
import type PgBoss from "pg-boss";
import type { Plan } from "../../plan/schema.ts";
import { systemClock } from "../clock.ts";
import { type JournalRecord, type Operator, RECORD_VERSION } from "../journal/journal-record.ts";
import type { LockHolder } from "../journal/lock.ts";
import { workloadFieldHashes, workloadInputHash } from "../planning/input-hash.ts";
import type { RunPlan } from "../planning/planner.ts";
import { prepareApply } from "../running/apply.ts";
import { newRunId } from "../running/run-session.ts";
import { readRecords } from "./pg-journal.ts";
import { type RunWork, refuseActive, startRun } from "./runs.ts";
import type { StateDb } from "./state-db.ts";

export interface EnqueueOptions {
  plan: Plan;
  planFile: string;
  planText: string;
  planHash: string;
  selected: readonly Plan["workloads"][number][];
  operator: Operator;
  holder: LockHolder;
  ignoreWindow: boolean;
}

export interface Enqueued {
  runId: string;
  runPlan: RunPlan;
  /** The journal's last sequence number before the run: followers read from here. */
  afterSeq: number;
  /** Workloads given to the runners. */
  work: string[];
}

/**
 * Check the plan against the shared journal: what apply would run (for the confirmation and the
 * desk's preflight) and the journal it was folded from.
 */
export async function prepareShared(db: StateDb, plan: Plan, planHash: string) {
  await refuseActive(db.pool, plan.metadata.name);
  const page = await readRecords(db.pool, plan.metadata.name);
  return { ...prepareApply(plan, page.records, planHash), records: page.records, afterSeq: page.lastSeq };
}

export async function enqueueApply(db: StateDb, boss: PgBoss, options: EnqueueOptions): Promise<Enqueued> {
  const { plan } = options;
  const { runPlan, afterSeq } = await prepareShared(db, plan, options.planHash);
  const runId = newRunId(systemClock.now());
  const at = systemClock.now().toISOString();
  const fieldHashes = Object.fromEntries(plan.workloads.map((w) => [w.name, workloadFieldHashes(plan, w)]));
  const hashes = Object.fromEntries(
    Object.entries(fieldHashes).map(([name, fields]) => [name, workloadInputHash(fields)]),
  );
  const records: JournalRecord[] = [
    {
      v: RECORD_VERSION,
      runId,
      at,
      type: "run-start",
      planFile: options.planFile,
      planName: plan.metadata.name,
      planHash: options.planHash,
      workloadHashes: hashes,
      workloadFieldHashes: fieldHashes,
      command: "apply",
      operator: options.operator,
    },
  ];
  const chosen = new Set(options.selected.map((w) => w.name));
  const planned = runPlan.waves.flatMap((wave) => wave.workloads);
  const remaining = new Set(
    planned
      .filter((w) => chosen.has(w.name) && w.steps.some((s) => s.status === "pending"))
      .map((w) => w.name),
  );
  const succeeded = (name: string) =>
    planned.find((w) => w.name === name)?.steps.every((s) => s.status === "done") ?? false;
  const work: RunWork[] = [];
  for (const workload of planned) {
    if (!remaining.has(workload.name)) continue;
    const outside = workload.dependsOn.find((dep) => !remaining.has(dep) && !succeeded(dep));
    if (outside) {
      remaining.delete(workload.name);
      records.push({
        v: RECORD_VERSION,
        runId,
        at,
        type: "workload-end",
        workload: workload.name,
        status: "skipped",
        reason: `dependency ${outside} has not succeeded (not part of this run)`,
      });
      continue;
    }
    work.push({
      workload: workload.name,
      wave: workload.wave,
      host: workload.source,
      zone: workload.zone,
      tenant: workload.tenant.name,
      dependsOn: workload.dependsOn.filter((dep) => remaining.has(dep)),
    });
  }
  await startRun(db.pool, boss, {
    runId,
    plan: plan.metadata.name,
    planFile: options.planFile,
    planText: options.planText,
    planHash: options.planHash,
    holder: options.holder,
    settings: {
      concurrency: plan.defaults.concurrency,
      perHost: plan.defaults.perHostConcurrency,
      perTenant: plan.defaults.perTenantConcurrency,
      ignoreWindow: options.ignoreWindow,
    },
    work,
    records,
  });
  return { runId, runPlan, afterSeq, work: work.map((item) => item.workload) };
}
