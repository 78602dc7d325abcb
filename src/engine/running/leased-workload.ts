/**
 * One workload under a lease, run by the same workload runner as a local apply: the journal is
 * folded from the shared state, the remaining steps planned as `migrate plan` would, the last
 * checkpoints recalled, apply's preflight run on this machine, and every record written through
 * the fenced journal. A heartbeat keeps
 * the lease; losing it (or `migrate cancel`) stops the workload at once.
 */

import type pg from "pg";
import { isMigrateError } from "../../errors.ts";
import type { Plan } from "../../plan/schema.ts";
import type { Remote } from "../../remote/types.ts";
import type { StepImplementations } from "../../steps/types.ts";
import type { Throttle } from "../../transfer/types.ts";
import { systemClock } from "../clock.ts";
import type { OnEvent, WorkloadStatus } from "../events.ts";
import { completedSteps, foldJournal } from "../journal/journal-fold.ts";
import type { JournalRecord } from "../journal/journal-record.ts";
import { createRecorder, type Recorder } from "../journal/recorder.ts";
import { workloadFieldHashes, workloadInputHash } from "../planning/input-hash.ts";
import { planRun, type RunWorkload } from "../planning/planner.ts";
import { ArtifactMirror, mirroredJournal } from "../state/artifact-mirror.ts";
import { heartbeat, type Lease } from "../state/leases.ts";
import { LeaseLostError, PgJournal, readRecords } from "../state/pg-journal.ts";
import type { StoredRun } from "../state/runs.ts";
import { applyPreflight, type PreflightHosts, preflightWork, readinessEvent } from "./apply-preflight.ts";
import { DEFAULT_BACKOFF } from "./retry.ts";
import type { RunContext } from "./step-runner.ts";
import { memoryOf } from "./workload-memory.ts";
import { runWorkload } from "./workload-runner.ts";

/** What this machine needs to run a stored run's workloads. */
export interface RunResources {
  plan: Plan;
  remote(host: string, signal: AbortSignal): Promise<Remote>;
  workDir(workload: string): string;
  throttle: Throttle;
  /**
   * This machine's connections, for apply's preflight before the workload's first change;
   * absent only where the steps reach no hosts (the team bench's stand-in steps).
   */
  hosts?: PreflightHosts;
}

export interface LeasedRun {
  pool: pg.Pool;
  lease: Lease;
  run: StoredRun;
  resources: RunResources;
  steps: StepImplementations;
  ttlMs: number;
  /** The runner's graceful stop. */
  stop: AbortSignal;
  onEvent: OnEvent;
  log?(line: string): void;
}

/** How the workload ended under this lease: its status, or "lost"/"stopped" (handed back). */
export type LeasedOutcome = WorkloadStatus | "lost" | "stopped";

export async function runLeased(options: LeasedRun): Promise<LeasedOutcome> {
  const { pool, lease, run, resources } = options;
  const { plan } = resources;
  const { records } = await readRecords(pool, run.plan);
  const summary = foldJournal(records);
  const runPlan = planRun(plan, { completed: completedSteps(summary), planHash: run.planHash });
  const planned = runPlan.waves.flatMap((wave) => wave.workloads).find((w) => w.name === lease.workload);
  const workload = plan.workloads.find((w) => w.name === lease.workload);
  if (!planned || !workload) return "failed";
  const hashes = { [workload.name]: workloadInputHash(workloadFieldHashes(plan, workload)) };

  const controller = new AbortController();
  let lost = false;
  const onStop = () => controller.abort(options.stop.reason);
  options.stop.addEventListener("abort", onStop, { once: true });
  const beat = setInterval(() => {
    heartbeat(pool, lease, options.ttlMs).then(
      (state) => {
        if (state === "lost") lost = true;
        if (state !== "ok") controller.abort(new Error(state));
      },
      () => undefined, // a missed beat is retried; the lease's slack covers a short outage
    );
  }, options.ttlMs / 3);
  try {
    // The artefacts earlier runners left (manifests, evidence, undo state) come from the shared
    // state before any step runs, and what the steps leave goes back before each record.
    const mirror = new ArtifactMirror(pool, lease, { fence: lease }, resources.workDir(lease.workload));
    const fetched = await mirror.materialise();
    if (fetched.fetched.length > 0)
      options.log?.(
        `${lease.workload}: fetched ${fetched.fetched.join(", ")} (${fetched.bytesDown} bytes) from the shared state`,
      );
    const journal = mirroredJournal(PgJournal.fenced(pool, run.plan, lease), mirror);
    const recorder: Recorder = createRecorder(journal, options.onEvent, lease.runId, systemClock);
    const context: RunContext = {
      plan,
      recorder,
      remote: resources.remote,
      signal: controller.signal,
      throttle: resources.throttle,
      clock: systemClock,
      retry: { retries: plan.defaults.retries, ...DEFAULT_BACKOFF },
      ignoreWindow: run.settings.ignoreWindow,
      workDir: resources.workDir,
    };
    const refused = await preflight(options, planned, records, recorder, controller.signal);
    if (refused) return lost ? "lost" : refused;
    const status = await runWorkload(context, {
      memory: memoryOf(planned, hashes, summary.workloads.get(planned.name)),
      steps: planned.steps.filter((step) => step.status === "pending"),
      implementations: options.steps,
    });
    if (lost) return "lost";
    return options.stop.aborted && status === "interrupted" ? "stopped" : status;
  } catch (error) {
    if (error instanceof LeaseLostError) return "lost";
    throw error;
  } finally {
    clearInterval(beat);
    options.stop.removeEventListener("abort", onStop);
  }
}

/**
 * Apply's preflight on this runner's machine, before the workload's first change: its trust,
 * passwords and privilege may differ from the operator's desk, and hosts only it reaches were
 * not checked there. A refusal ends the workload failed, journaled with the same message a
 * local apply gives, before any step; undefined lets the workload run.
 */
async function preflight(
  options: LeasedRun,
  planned: RunWorkload,
  records: readonly JournalRecord[],
  recorder: Recorder,
  signal: AbortSignal,
): Promise<LeasedOutcome | undefined> {
  const { plan, hosts } = options.resources;
  if (!hosts) return undefined;
  try {
    const warnings = await applyPreflight({
      plan,
      work: preflightWork(plan, new Set([planned.name])),
      planned: [planned],
      records,
      hosts,
      signal,
      ignoreWindow: options.run.settings.ignoreWindow,
      kind: "apply",
    });
    for (const finding of warnings) options.onEvent(readinessEvent(finding));
    return undefined;
  } catch (error) {
    if (signal.aborted) return options.stop.aborted ? "stopped" : "interrupted";
    if (!isMigrateError(error)) throw error;
    const hint = error.hint ? `\nhint: ${error.hint}` : "";
    await recorder.record({
      type: "workload-end",
      workload: planned.name,
      status: "failed",
      reason: `refused by runner ${options.lease.runner} before any change: ${error.message}${hint}`,
    });
    return "failed";
  }
}
