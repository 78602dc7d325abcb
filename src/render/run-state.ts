/**
 * A pure fold of engine events into what an operator needs to see: waves, workloads grouped by
 * bureau, each workload's current step and transfer progress, cutover freeze time, failures and
 * totals. The ink view renders it; plain mode uses it for the closing totals line.
 */
import { type EngineEvent, emptyCounts, type StepEndEvent, type WorkloadStatus } from "../engine/events.ts";
import type { StepName } from "../steps/names.ts";

/** What the renderer knows from the plan: events name workloads, the plan names their bureau. */
export interface WorkloadInfo {
  name: string;
  bureau: string;
  wave: number;
  /** From the plan's `downtimeBudget`, shown beside the downtime clock. */
  downtimeBudgetMs?: number;
}

export interface TransferProgress {
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
  rateBps: number;
  /** Found already on the target (digest verified there), not sent. */
  bytesInPlace?: number;
}

export interface WorkloadView extends WorkloadInfo {
  status: WorkloadStatus;
  step?: StepName | "rollback";
  /** Whether `step` is still running or already done (the next one has not started yet). */
  stepDone: boolean;
  attempt: number;
  progress?: TransferProgress;
  /** The latest replication lag per database, while a replication copies or catches up. */
  replication?: Record<string, { phase: "copy" | "catch-up"; bytes: number; seconds: number | null }>;
  /** Epoch ms of cutover-freeze; the downtime clock runs from here until workload-end. */
  frozenAt?: number;
  downtimeMs?: number;
  reason?: string;
  /** The remedy of the failure that ended the workload, when its error carries one. */
  hint?: string;
  /** Last failure, including retried ones, so the operator sees what is being retried. */
  lastFailure?: { step: string; message: string; hint?: string; willRetry: boolean };
  bytesMoved: number;
  /** Bytes the transfer found already on the target and did not send. */
  bytesInPlace: number;
  endedAt?: number;
}

export type WaveStatus = "pending" | "running" | "done";

export interface RunState {
  runId?: string;
  plan?: string;
  startedAt?: number;
  endedAt?: number;
  status?: "succeeded" | "failed" | "interrupted";
  waves: Map<number, WaveStatus>;
  workloads: Map<string, WorkloadView>;
  /** Finished workloads in the order they finished (the live view prints them once, above). */
  finished: string[];
  /** The last few log events; `seq` numbers them for stable keys. */
  messages: { seq: number; level: "info" | "warn" | "error"; message: string; workload?: string }[];
  stopping: boolean;
}

export function initialState(plan: readonly WorkloadInfo[] = []): RunState {
  const state: RunState = {
    waves: new Map(),
    workloads: new Map(),
    finished: [],
    messages: [],
    stopping: false,
  };
  for (const info of plan) {
    state.workloads.set(info.name, blank(info));
    if (!state.waves.has(info.wave)) state.waves.set(info.wave, "pending");
  }
  return state;
}

function blank(info: WorkloadInfo): WorkloadView {
  return { ...info, status: "pending", stepDone: false, attempt: 0, bytesMoved: 0, bytesInPlace: 0 };
}

function workload(state: RunState, name: string, wave = 0): WorkloadView {
  let view = state.workloads.get(name);
  if (!view) {
    view = blank({ name, bureau: "(unknown bureau)", wave });
    state.workloads.set(name, view);
  }
  return view;
}

const MAX_MESSAGES = 5;

/** Apply one event. Mutates and returns `state` (the view re-renders from a fresh copy). */
export function reduce(state: RunState, event: EngineEvent): RunState {
  const at = Date.parse(event.at);
  switch (event.type) {
    case "run-start":
      state.runId = event.runId;
      state.plan = event.plan;
      state.startedAt = at;
      break;
    case "wave-start":
      state.waves.set(event.wave, "running");
      for (const name of event.workloads) {
        const view = workload(state, name, event.wave);
        if (view.wave === 0) view.wave = event.wave;
      }
      break;
    case "wave-end":
      state.waves.set(event.wave, "done");
      break;
    case "step-start": {
      const view = workload(state, event.workload);
      view.status = "running";
      view.step = event.step;
      view.stepDone = false;
      view.attempt = event.attempt;
      view.progress = undefined;
      break;
    }
    case "step-progress": {
      const view = workload(state, event.workload);
      view.step = event.step;
      view.progress = {
        bytesDone: event.bytesDone,
        bytesTotal: event.bytesTotal,
        filesDone: event.filesDone,
        filesTotal: event.filesTotal,
        rateBps: event.rateBps,
      };
      if (event.bytesInPlace !== undefined) view.progress.bytesInPlace = event.bytesInPlace;
      break;
    }
    case "step-end": {
      const view = workload(state, event.workload);
      const bytes = bytesSent(event);
      if (bytes !== undefined) view.bytesMoved += bytes;
      if (event.step === "transfer" && event.outputs.bytesInPlace !== undefined)
        view.bytesInPlace += event.outputs.bytesInPlace;
      else if (view.progress && view.step === event.step) view.bytesMoved += view.progress.bytesDone;
      view.progress = undefined;
      view.stepDone = true;
      break;
    }
    case "step-skip": {
      const view = workload(state, event.workload);
      view.step = event.step;
      view.stepDone = true;
      break;
    }
    case "step-fail":
      workload(state, event.workload).lastFailure = {
        step: event.step,
        message: event.message,
        ...(event.hint ? { hint: event.hint } : {}),
        willRetry: event.willRetry,
      };
      break;
    case "cutover-freeze":
      workload(state, event.workload).frozenAt = at;
      break;
    case "replication-lag": {
      const view = workload(state, event.workload);
      view.replication = {
        ...view.replication,
        [event.database]: { phase: event.phase, bytes: event.bytes, seconds: event.seconds },
      };
      break;
    }
    case "rollback-start": {
      const view = workload(state, event.workload);
      view.step = "rollback";
      view.reason = event.reason;
      break;
    }
    case "rollback-end":
      if (!event.ok) workload(state, event.workload).reason = event.message ?? "rollback failed";
      break;
    case "workload-end": {
      const view = workload(state, event.workload);
      view.status = event.status;
      view.reason = event.reason ?? (event.status === "failed" ? view.lastFailure?.message : undefined);
      // A failed or rolled-back workload ended on its last failure: its remedy is the one to show.
      if ((event.status === "failed" || event.status === "rolled-back") && !view.lastFailure?.willRetry)
        view.hint = view.lastFailure?.hint;
      view.endedAt = at;
      // Bytes an interrupted transfer already sent were moved too; resume skips them.
      if (view.progress) view.bytesMoved += view.progress.bytesDone;
      view.progress = undefined;
      if (event.downtimeMs !== undefined) view.downtimeMs = event.downtimeMs;
      else if (view.frozenAt !== undefined) view.downtimeMs = at - view.frozenAt;
      if (!state.finished.includes(view.name)) state.finished.push(view.name);
      break;
    }
    case "log":
      state.messages.push({
        seq: (state.messages.at(-1)?.seq ?? 0) + 1,
        level: event.level,
        message: event.message,
        workload: event.workload,
      });
      if (state.messages.length > MAX_MESSAGES) state.messages.shift();
      break;
    case "run-end":
      state.status = event.status;
      state.endedAt = at;
      break;
  }
  return state;
}

/** Bytes a finished step sent: transfer's `bytesSent`, cutover's final sync `delta.bytesSent`. */
function bytesSent(event: StepEndEvent): number | undefined {
  if (event.step === "transfer") return event.outputs.bytesSent;
  if (event.step === "cutover") return event.outputs.delta.bytesSent;
  return undefined;
}

export interface Totals {
  planned: number;
  counts: Record<WorkloadStatus, number>;
  bytesMoved: number;
}

export function totals(state: RunState): Totals {
  const counts = emptyCounts();
  let bytesMoved = 0;
  for (const view of state.workloads.values()) {
    counts[view.status] += 1;
    bytesMoved += view.bytesMoved + (view.progress?.bytesDone ?? 0);
  }
  return { planned: state.workloads.size, counts, bytesMoved };
}

/** Workloads of one wave grouped by bureau, bureaus and workloads in name order. */
export function byBureau(views: Iterable<WorkloadView>): [string, WorkloadView[]][] {
  const groups = new Map<string, WorkloadView[]>();
  for (const view of views) {
    const list = groups.get(view.bureau) ?? [];
    list.push(view);
    groups.set(view.bureau, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([bureau, list]) => [bureau, list.sort((a, b) => a.name.localeCompare(b.name))]);
}
