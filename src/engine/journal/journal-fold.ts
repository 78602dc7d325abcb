/**
 * The one fold of journal records into per-run and per-workload state. `status`, the sign-off
 * report, `plan` (what remains) and resume (apply, rollback) all read the journal through it,
 * so they can never disagree about what a record means.
 */
import type { RehearseOutput, StepCheckpoints, StepLabel, StepOutputs } from "../../steps/contracts.ts";
import { STEPS, type StepName } from "../../steps/names.ts";
import type { WorkloadStatus } from "../events.ts";
import type { JournalRecord, Operator, RecordOf, StepError } from "./journal-record.ts";

export interface StepState<S extends StepLabel = StepLabel> {
  state: "running" | "finished" | "failed" | "interrupted";
  attempts: number;
  /** The latest attempt's start. */
  startedAt?: string;
  /** The first attempt's start (a run starts its attempts at 1). */
  firstStartedAt?: string;
  finishedAt?: string;
  /** When the step last finished, failed for good or was interrupted. */
  endedAt?: string;
  /** Journaled on finish; after a failure or an interruption, from the first attempt's start. */
  durationMs?: number;
  inputHash?: string;
  runId: string;
  /** The outputs of the step's last finish (kept while a later attempt runs). */
  outputs?: StepOutputs[S];
  error?: StepError;
  lastCheckpoint?: StepCheckpoints[S];
}

export type StepStates = { [S in StepLabel]?: StepState<S> };

export interface StepFailure {
  step: StepLabel;
  at: string;
  attempt: number;
  willRetry: boolean;
  error: StepError;
}

export interface WorkloadSummary {
  name: string;
  status: WorkloadStatus;
  /** The step running now, or the step that failed or was interrupted last. */
  currentStep?: StepLabel;
  reason?: string;
  downtimeMs?: number;
  downtimeBudgetMs?: number;
  budgetExceeded?: boolean;
  steps: StepStates;
  /** Keys of steps finished and still valid (a rollback invalidates the workload's earlier steps). */
  completed: Set<string>;
  lastRunId?: string;
  rolledBackAt?: string;
  /** The last workload-end record. */
  end?: RecordOf<"workload-end">;
  /** Where the workload's traffic went last: a workload-end, or a finished rollback. */
  latest?: { status: WorkloadStatus; runId: string };
  failures: StepFailure[];
  /** The last rehearsal on the target: when it ended, and its outputs or why it failed. */
  rehearsal?: Rehearsal;
  /** When a transfer (apply, sync or rehearse) last finished: the target's copy is that fresh. */
  lastSyncAt?: string;
  /** Every hook that ended, in journal order (status and the report show them). */
  hooks: RecordOf<"hook-end">[];
  /**
   * Before-hooks (id → command run) that succeeded while their step has not finished since and
   * the workload was not rolled back since: resume does not run them again.
   */
  beforeHooksDone: Map<string, string>;
  /** Set once `migrate finalize` ended the workload's migration for good. */
  finalized?: RecordOf<"finalize">;
}

export type Rehearsal =
  | { ok: true; at: string; runId: string; outputs: RehearseOutput }
  | { ok: false; at: string; runId: string; message: string };

export interface RunSummary {
  runId: string;
  command: string;
  startedAt: string;
  endedAt?: string;
  status?: string;
  /** Why the run failed before any step ran. */
  reason?: string;
  planHash: string;
  operator?: Operator;
}

export interface JournalSummary {
  runs: RunSummary[];
  workloads: Map<string, WorkloadSummary>;
  lastPlanHash?: string;
}

export function emptySummary(): JournalSummary {
  return { runs: [], workloads: new Map() };
}

function workloadOf(summary: JournalSummary, name: string): WorkloadSummary {
  let entry = summary.workloads.get(name);
  if (!entry) {
    entry = {
      name,
      status: "pending",
      steps: {},
      completed: new Set(),
      failures: [],
      hooks: [],
      beforeHooksDone: new Map(),
    };
    summary.workloads.set(name, entry);
  }
  return entry;
}

/** The one place a step's state is replaced: TypeScript cannot follow `step` into the value. */
function setStep(w: WorkloadSummary, step: StepLabel, state: StepState): void {
  (w.steps as Record<StepLabel, StepState>)[step] = state;
}

function ended(step: StepState, at: string): Pick<StepState, "endedAt" | "durationMs"> {
  const from = step.firstStartedAt ?? step.startedAt;
  return { endedAt: at, ...(from ? { durationMs: Date.parse(at) - Date.parse(from) } : {}) };
}

/**
 * Fold records in order (into `summary`, to continue an earlier fold). A finished rollback
 * clears the workload's completed steps and checkpoints: the source served traffic again, so
 * the next apply starts the workload over from a fresh snapshot.
 */
export function foldJournal(
  records: readonly JournalRecord[],
  summary: JournalSummary = emptySummary(),
): JournalSummary {
  for (const record of records) foldRecord(summary, record);
  return summary;
}

function foldRecord(summary: JournalSummary, record: JournalRecord): void {
  switch (record.type) {
    case "run-start":
      summary.runs.push({
        runId: record.runId,
        command: record.command ?? "apply",
        startedAt: record.at,
        planHash: record.planHash,
        operator: record.operator,
      });
      summary.lastPlanHash = record.planHash;
      return;
    case "run-end": {
      const run = summary.runs.find((item) => item.runId === record.runId);
      if (run) {
        Object.assign(run, { endedAt: record.at, status: record.status });
        if (record.reason) run.reason = record.reason;
      }
      return;
    }
    case "lock-recovered":
    case "hook-start":
    case "prepare":
      return;
    case "hook-end": {
      const w = workloadOf(summary, record.workload);
      w.hooks.push(record);
      if (record.phase === "before" && record.ok) w.beforeHooksDone.set(record.hook, record.run);
      return;
    }
    case "finalize":
      workloadOf(summary, record.workload).finalized = record;
      return;
    case "workload-end": {
      const w = workloadOf(summary, record.workload);
      w.status = record.status;
      w.reason = record.reason;
      w.lastRunId = record.runId;
      w.downtimeMs = record.downtimeMs;
      w.downtimeBudgetMs = record.downtimeBudgetMs;
      w.budgetExceeded = record.budgetExceeded;
      w.end = record;
      w.latest = { status: record.status, runId: record.runId };
      if (record.status === "succeeded") w.currentStep = undefined;
      return;
    }
  }
  const w = workloadOf(summary, record.workload);
  const step = w.steps[record.step] as StepState | undefined;
  switch (record.type) {
    case "step-start":
      setStep(w, record.step, {
        state: "running",
        attempts: record.attempt,
        startedAt: record.at,
        firstStartedAt: record.attempt === 1 || !step ? record.at : (step.firstStartedAt ?? record.at),
        inputHash: record.inputHash,
        runId: record.runId,
        ...(step?.outputs ? { outputs: step.outputs } : {}),
        ...(step?.lastCheckpoint ? { lastCheckpoint: step.lastCheckpoint } : {}),
      });
      w.status = "running";
      // A rollback keeps pointing at the step that caused it.
      if (record.step !== "rollback" || !w.currentStep) w.currentStep = record.step;
      w.lastRunId = record.runId;
      w.reason = undefined;
      return;
    case "step-checkpoint":
      if (step) step.lastCheckpoint = record.data;
      return;
    case "step-finish":
      setStep(w, record.step, {
        ...(step ?? { attempts: 1, runId: record.runId, firstStartedAt: record.at }),
        state: "finished",
        finishedAt: record.at,
        endedAt: record.at,
        durationMs: record.durationMs,
        inputHash: record.inputHash,
        outputs: record.outputs,
      });
      if (record.step === "rehearse") {
        w.rehearsal = { ok: true, at: record.at, runId: record.runId, outputs: record.outputs };
      } else if (record.step === "rollback") {
        for (const [name, state] of Object.entries(w.steps)) {
          if (name !== "rollback" && state) state.lastCheckpoint = undefined;
        }
        w.completed.clear();
        w.beforeHooksDone.clear();
        w.rolledBackAt = record.at;
        w.latest = { status: "rolled-back", runId: record.runId };
      } else {
        w.completed.add(record.key);
        // Steps after it built on the earlier result: a fresh snapshot (sync, rehearse) makes
        // the transfer and reconfigure that followed the old one pending again.
        for (const later of STEPS.slice(STEPS.indexOf(record.step) + 1))
          w.completed.delete(`${w.name}/${later}`);
        if (record.step === "transfer") w.lastSyncAt = record.at;
        for (const id of w.beforeHooksDone.keys())
          if (id.startsWith(`${record.step}/`)) w.beforeHooksDone.delete(id);
      }
      return;
    case "step-fail":
      w.failures.push({
        step: record.step,
        at: record.at,
        attempt: record.attempt,
        willRetry: record.willRetry,
        error: record.error,
      });
      if (record.step === "rehearse" && !record.willRetry)
        w.rehearsal = { ok: false, at: record.at, runId: record.runId, message: record.error.message };
      if (step) {
        step.error = record.error;
        step.attempts = record.attempt;
        if (!record.willRetry) Object.assign(step, { state: "failed" }, ended(step, record.at));
      }
      return;
    case "step-interrupted":
      if (step) Object.assign(step, { state: "interrupted" }, ended(step, record.at));
      return;
  }
}

/** Keys (`${workload}/${step}`) of steps finished and still valid: `plan` and `apply` skip them. */
export function completedSteps(summary: JournalSummary): Set<string> {
  const completed = new Set<string>();
  for (const workload of summary.workloads.values()) for (const key of workload.completed) completed.add(key);
  return completed;
}

/** How far a workload's migration got, as `status` shows it. */
export const READINESS = [
  "not started",
  "in progress",
  "ready for cutover",
  "rehearsed",
  "cut over",
  "verified",
] as const;
export type Readiness = (typeof READINESS)[number];

const PRE_CUTOVER: readonly StepName[] = ["snapshot", "transfer", "reconfigure"];

export function readinessOf(w: WorkloadSummary | undefined): Readiness {
  if (!w) return "not started";
  const done = (step: StepName) => w.completed.has(`${w.name}/${step}`);
  if (done("verify")) return "verified";
  if (done("cutover")) return "cut over";
  if (PRE_CUTOVER.every(done)) return w.rehearsal?.ok ? "rehearsed" : "ready for cutover";
  return w.completed.size > 0 ? "in progress" : "not started";
}

/**
 * Whether the workload's cutover ran (or is running) and was not rolled back since: then the
 * target serves (or may serve) traffic, and a rehearsal or sync must not touch it.
 */
export function cutoverStarted(w: WorkloadSummary | undefined): boolean {
  const started = w?.steps.cutover?.firstStartedAt ?? w?.steps.cutover?.startedAt;
  if (!started) return false;
  return !(w?.rolledBackAt && w.rolledBackAt >= started);
}
