/**
 * One engine run over a journal, shared by apply and rollback (and every later run kind): a run
 * id, the recorder (journal record + derived event, once), the context every step shares
 * (remotes from the caller's pool, the abort signal, throttle, clock, retries), what earlier runs
 * left per workload, and the bracket — run-start (and lock-recovered) when it opens, run-end when
 * it finishes. The caller (the cli's command session) owns the lock, the journal file, the SSH
 * pool, the terminal and the process signals.
 */
import { randomBytes } from "node:crypto";
import type { Plan, Workload } from "../../plan/schema.ts";
import type { Remote } from "../../remote/types.ts";
import type { Throttle } from "../../transfer/types.ts";
import { type Clock, systemClock } from "../clock.ts";
import { emptyCounts, type OnEvent, type WorkloadStatus } from "../events.ts";
import type { Journal } from "../journal/journal.ts";
import { foldJournal, type JournalSummary } from "../journal/journal-fold.ts";
import type { Operator } from "../journal/journal-record.ts";
import type { LockHolder } from "../journal/lock.ts";
import { createRecorder, type Recorder } from "../journal/recorder.ts";
import { workloadFieldHashes, workloadInputHash } from "../planning/input-hash.ts";
import type { RunWorkload } from "../planning/planner.ts";
import { DEFAULT_BACKOFF } from "./retry.ts";
import type { RunContext, WorkloadMemory } from "./step-runner.ts";
import { UNLIMITED } from "./throttle.ts";
import { memoryOf } from "./workload-memory.ts";

export interface RunSessionOptions {
  plan: Plan;
  planFile: string;
  planHash: string;
  command: "apply" | "rollback" | "rehearse" | "sync" | "finalize" | "prepare";
  journal: Journal;
  onEvent: OnEvent;
  signal: AbortSignal;
  remote(host: string, signal: AbortSignal): Promise<Remote>;
  workDir(workload: string): string;
  operator: Operator;
  /** The workloads whose input hashes this run journals (and whose steps it may run). */
  workloads: readonly Workload[];
  /** How many workloads the run-start event announces (apply's selection). */
  selected: number;
  /** The journal already folded by the caller (to refuse before anything is recorded). */
  before?: JournalSummary;
  clock?: Clock;
  backoff?: { baseMs: number; maxMs: number };
  random?: () => number;
  throttle?: Throttle;
  ignoreWindow?: boolean;
  /** Journaled as `lock-recovered` when this run took over a stale lock. */
  recoveredLock?: LockHolder;
  /** The run's id when it was chosen before (a shared-state lease names its run). */
  runId?: string;
}

export interface RunSession {
  readonly runId: string;
  readonly recorder: Recorder;
  /** What every step of the run shares. */
  readonly context: RunContext;
  /** The journal as it was before this run. */
  readonly before: JournalSummary;
  /** What earlier runs left for a workload: outputs of still-valid steps, last checkpoints. */
  memoryOf(workload: RunWorkload): WorkloadMemory;
  /** Record run-end (with the reason a run failed before any step ran). */
  finish(
    status: "succeeded" | "failed" | "interrupted",
    counts: Record<WorkloadStatus, number>,
    reason?: string,
  ): Promise<void>;
}

/**
 * Ends a short run over several workloads (prepare, finalize): interrupted when stopped, else
 * failed when any workload failed; run-end counts the ones that succeeded and failed.
 */
export async function finishShortRun(
  session: RunSession,
  signal: AbortSignal,
  outcome: { succeeded: number; failed: number },
): Promise<"succeeded" | "failed" | "interrupted"> {
  const status = signal.aborted ? "interrupted" : outcome.failed > 0 ? "failed" : "succeeded";
  const counts = emptyCounts();
  counts.succeeded = outcome.succeeded;
  counts.failed = outcome.failed;
  await session.finish(status, counts);
  return status;
}

export function newRunId(now: Date): string {
  return `${now
    .toISOString()
    .replaceAll(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")}-${randomBytes(3).toString("hex")}`;
}

/** Open a run: record run-start (and a recovered lock) and build what its steps share. */
export async function openRun(options: RunSessionOptions): Promise<RunSession> {
  const { plan } = options;
  const clock = options.clock ?? systemClock;
  const before = options.before ?? foldJournal(options.journal.records);
  const fieldHashes = Object.fromEntries(
    options.workloads.map((w) => [w.name, workloadFieldHashes(plan, w)]),
  );
  const hashes = Object.fromEntries(
    Object.entries(fieldHashes).map(([name, fields]) => [name, workloadInputHash(fields)]),
  );
  const runId = options.runId ?? newRunId(clock.now());
  const recorder = createRecorder(options.journal, options.onEvent, runId, clock);
  const at = recorder.now();
  await recorder.record({
    type: "run-start",
    at,
    planFile: options.planFile,
    planName: plan.metadata.name,
    planHash: options.planHash,
    workloadHashes: hashes,
    workloadFieldHashes: fieldHashes,
    command: options.command,
    operator: options.operator,
    workloads: options.selected,
  });
  if (options.recoveredLock) {
    await recorder.record({ type: "lock-recovered", at, previous: options.recoveredLock });
  }
  const context: RunContext = {
    plan,
    recorder,
    remote: options.remote,
    signal: options.signal,
    throttle: options.throttle ?? UNLIMITED,
    clock,
    retry: { retries: plan.defaults.retries, ...(options.backoff ?? DEFAULT_BACKOFF) },
    ignoreWindow: options.ignoreWindow ?? false,
    workDir: options.workDir,
    ...(options.random ? { random: options.random } : {}),
  };
  return {
    runId,
    recorder,
    context,
    before,
    memoryOf: (workload) => memoryOf(workload, hashes, before.workloads.get(workload.name)),
    finish: (status, counts, reason) =>
      recorder.record({ type: "run-end", status, counts, ...(reason === undefined ? {} : { reason }) }),
  };
}
