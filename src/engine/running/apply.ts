/**
 * `apply` as a function: refuse a plan that changed under finished steps, journal the run,
 * schedule what remains wave by wave, and report through events only. The caller owns the lock,
 * the journal file, the SSH pool and the terminal.
 */
import { hostname, userInfo } from "node:os";
import { UserError } from "../../errors.ts";
import { unknownNameHint } from "../../plan/did-you-mean.ts";
import type { Plan } from "../../plan/schema.ts";
import type { Remote } from "../../remote/types.ts";
import type { StepName } from "../../steps/names.ts";
import type { StepImplementations } from "../../steps/types.ts";
import type { Throttle } from "../../transfer/types.ts";
import type { Clock } from "../clock.ts";
import { emptyCounts, type OnEvent, type WorkloadStatus } from "../events.ts";
import type { Journal } from "../journal/journal.ts";
import { completedSteps, foldJournal, type JournalSummary, readinessOf } from "../journal/journal-fold.ts";
import type { JournalRecord } from "../journal/journal-record.ts";
import type { LockHolder } from "../journal/lock.ts";
import { planRun, type RunPlan } from "../planning/planner.ts";
import { findPlanChanges, planChangedError } from "../planning/resume-check.ts";
import { preflightWork } from "./apply-preflight.ts";
import { PRE_CUTOVER, READY, type RunKind, refuseCutOver, stepsFor } from "./run-kinds.ts";
import { openRun } from "./run-session.ts";
import { type ScheduleOptions, type SchedulerWorkload, schedule } from "./scheduler.ts";
import type { WorkloadMemory } from "./step-runner.ts";
import { runWorkload } from "./workload-runner.ts";

export interface ApplyOptions {
  plan: Plan;
  /** Default apply. */
  kind?: RunKind;
  /** apply only: end each workload before this step (`--stop-before cutover`). */
  stopBefore?: StepName;
  planFile: string;
  planHash: string;
  journal: Journal;
  steps: StepImplementations;
  /**
   * The journal's summary and the run plan to execute, from prepareApply on the same journal
   * (the caller showed that run plan); computed here when absent.
   */
  prepared?: PreparedApply;
  remote(host: string, signal: AbortSignal): Promise<Remote>;
  onEvent: OnEvent;
  signal: AbortSignal;
  workDir(workload: string): string;
  only?: readonly string[];
  ignoreWindow?: boolean;
  throttle?: Throttle;
  clock?: Clock;
  backoff?: { baseMs: number; maxMs: number };
  random?: () => number;
  /** Journaled as `lock-recovered` when this run took over a stale lock. */
  recoveredLock?: LockHolder;
  failAfter?: string;
  /**
   * Runs after run-start, before any step, with the workloads that have steps left and every
   * host they touch; a throw ends the run as failed with its reason journaled and nothing done
   * (apply's trust and password checks).
   */
  preflight?(
    work: { workloads: readonly Plan["workloads"][number][]; hosts: readonly string[] },
    signal: AbortSignal,
  ): Promise<void>;
  version?: string;
  argv?: string[];
}

export interface ApplyResult {
  runId: string;
  status: "succeeded" | "failed" | "interrupted";
  /** Every selected workload: its end in this run, or its state from earlier runs. */
  outcomes: Map<string, WorkloadStatus>;
  counts: Record<WorkloadStatus, number>;
}

export function selectWorkloads(plan: Plan, only: readonly string[] | undefined): Plan["workloads"] {
  if (!only || only.length === 0) return plan.workloads;
  const known = plan.workloads.map((workload) => workload.name);
  for (const name of only) {
    if (known.includes(name)) continue;
    throw new UserError("usage", `--only names ${name}, which is not a workload of this plan`, {
      hint: unknownNameHint(name, known, "workloads"),
    });
  }
  return plan.workloads.filter((workload) => only.includes(workload.name));
}

/** Who runs this: journaled with every run-start for the audit trail. */
export function operatorInfo(version = "dev", argv: string[] = []) {
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): keep "unknown"
  }
  return {
    user,
    host: hostname(),
    pid: process.pid,
    version,
    argv,
  };
}

/** What an apply starts from: the journal folded once and the run plan it executes. */
export interface PreparedApply {
  summary: JournalSummary;
  runPlan: RunPlan;
}

/**
 * Fold the journal, refuse a plan that changed under finished steps, and plan what remains:
 * the run plan apply shows before asking and then executes, the very same object.
 */
export function prepareApply(
  plan: Plan,
  records: readonly JournalRecord[],
  planHash: string,
  run: { kind?: RunKind; only?: readonly string[] } = {},
): PreparedApply {
  const summary = foldJournal(records);
  const changes = findPlanChanges(plan, records, summary);
  if (changes.length > 0) throw planChangedError(changes);
  const kind = run.kind ?? "apply";
  if (kind !== "apply") refuseCutOver(kind, selectWorkloads(plan, run.only), summary);
  return { summary, runPlan: planRun(plan, { completed: completedSteps(summary), planHash }) };
}

export async function applyPlan(options: ApplyOptions): Promise<ApplyResult> {
  const { plan, journal } = options;
  const selected = selectWorkloads(plan, options.only);
  const { summary, runPlan } =
    options.prepared ??
    prepareApply(plan, journal.records, options.planHash, {
      ...(options.kind ? { kind: options.kind } : {}),
      ...(options.only ? { only: options.only } : {}),
    });

  const session = await openRun({
    ...options,
    command: options.kind ?? "apply",
    operator: operatorInfo(options.version, options.argv),
    workloads: plan.workloads,
    selected: selected.length,
    before: summary,
  });
  const { runId, recorder } = session;

  // Apply carries out exactly what the run plan says remains, each step with its planned input
  // (the same object `migrate plan` prints).
  const chosen = new Set(selected.map((workload) => workload.name));
  const prior = new Map<string, WorkloadStatus>();
  const jobs = new Map<string, { memory: WorkloadMemory } & ReturnType<typeof stepsFor>>();
  const waves: ScheduleOptions["waves"][number][] = [];
  for (const wave of runPlan.waves) {
    const items: SchedulerWorkload[] = [];
    for (const planned of wave.workloads) {
      const job = stepsFor(planned, options);
      // A dependency done earlier lets its dependants go: for sync and rehearse, being ready
      // for cutover (or further) is done enough.
      const ready =
        (options.kind ?? "apply") !== "apply" && READY.has(readinessOf(summary.workloads.get(planned.name)));
      if (job.steps.length === 0 || ready) prior.set(planned.name, "succeeded");
      if (job.steps.length === 0 || !chosen.has(planned.name)) continue;
      const memory = session.memoryOf(planned);
      // Sync and rehearse start their steps afresh: the transfer then finds what the target
      // holds by digest (its evidence), not by an earlier run's verified batches.
      if ((options.kind ?? "apply") !== "apply") {
        const replication = memory.checkpoints.reconfigure?.replication;
        for (const step of PRE_CUTOVER) delete memory.checkpoints[step];
        // A replication an earlier run started keeps running under its journaled names (no
        // second seed, no second slot); only the reconfigure's commands run again.
        if (replication) memory.checkpoints.reconfigure = { commandsDone: 0, replication };
      }
      jobs.set(planned.name, { memory, ...job });
      items.push({
        name: planned.name,
        wave: planned.wave,
        host: planned.source,
        tenant: planned.tenant.name,
        dependsOn: planned.dependsOn,
      });
    }
    if (items.length > 0) waves.push({ wave: wave.wave, workloads: items });
  }

  if (options.preflight) {
    try {
      await options.preflight(preflightWork(plan, new Set(jobs.keys())), options.signal);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      // The first line names the problem; the caller prints the whole (per-host) error once.
      recorder.emit({
        type: "log",
        level: "error",
        message: `stopped before any step: ${reason.split("\n")[0]}`,
        at: recorder.now(),
      });
      await session.finish("failed", emptyCounts(), reason);
      throw error;
    }
  }
  const skips: Promise<void>[] = [];
  const results = await schedule({
    waves,
    limits: {
      concurrency: plan.defaults.concurrency,
      perHost: plan.defaults.perHostConcurrency,
      perTenant: plan.defaults.perTenantConcurrency,
    },
    prior,
    signal: options.signal,
    run: (item) => {
      const job = jobs.get(item.name)!;
      return runWorkload(session.context, {
        ...job,
        implementations: options.steps,
        failAfter: options.failAfter,
      });
    },
    skip: (item, reason) => {
      // The scheduler decides skips synchronously; their records are durable before run-end.
      skips.push(recorder.record({ type: "workload-end", workload: item.name, status: "skipped", reason }));
    },
    onWaveStart: (wave, names) =>
      recorder.emit({ type: "wave-start", wave, workloads: names, at: recorder.now() }),
    onWaveEnd: (wave) => recorder.emit({ type: "wave-end", wave, at: recorder.now() }),
  });

  const outcomes = new Map<string, WorkloadStatus>();
  const counts = emptyCounts();
  for (const workload of selected) {
    const status = results.get(workload.name) ?? prior.get(workload.name) ?? "pending";
    outcomes.set(workload.name, status);
    counts[status]++;
  }
  const status = options.signal.aborted
    ? "interrupted"
    : counts.succeeded === selected.length
      ? "succeeded"
      : "failed";
  await Promise.all(skips);
  await session.finish(status, counts);
  return { runId, status, outcomes, counts };
}
