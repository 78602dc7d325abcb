/**
 * Running one step of one workload: build its context, record start/checkpoints/finish or
 * failure, retry retryable faults with backoff, and record an interruption when the signal
 * stops it. Everything the step may touch comes through the context.
 */
import { mkdirSync } from "node:fs";
import { isMigrateError, RemoteError } from "../../errors.ts";
import type { Plan } from "../../plan/schema.ts";
import type { Remote } from "../../remote/types.ts";
import type { StepCheckpoints, StepLabel, StepOutputs } from "../../steps/contracts.ts";
import type { StepName } from "../../steps/names.ts";
import type { StepContext } from "../../steps/types.ts";
import type { Throttle } from "../../transfer/types.ts";
import type { Clock } from "../clock.ts";
import type { StepError } from "../journal/journal-record.ts";
import type { Fact, Recorder } from "../journal/recorder.ts";
import type { RunWorkload } from "../planning/planner.ts";
import { backoffMs, isRetryable, type RetryPolicy, sleep } from "./retry.ts";

/** What every step of a run shares (the run session builds it). */
export interface RunContext {
  plan: Plan;
  recorder: Recorder;
  remote(host: string, signal: AbortSignal): Promise<Remote>;
  signal: AbortSignal;
  throttle: Throttle;
  clock: Clock;
  retry: RetryPolicy;
  ignoreWindow: boolean;
  /** Rollback: put traffic back even where the target's writes cannot be carried back. */
  discardTargetWrites?: boolean;
  workDir(workload: string): string;
  random?: () => number;
}

/** Per workload: its input hash and what earlier steps (this run or before) left behind. */
export interface WorkloadMemory {
  /** The workload as planned: its steps with their inputs, window and downtime budget. */
  workload: RunWorkload;
  inputHash: string;
  outputs: { [S in StepName]?: StepOutputs[S] };
  checkpoints: { [S in StepLabel]?: StepCheckpoints[S] };
  /** Before-hooks (id → command) that already succeeded for a step not finished since (hooks.ts). */
  beforeHooksDone: Map<string, string>;
  /** Set once `cutover-freeze` was emitted, so the freeze is announced exactly once. */
  freezeAnnounced?: boolean;
}

export type AttemptResult<S extends StepLabel> =
  | { ok: true; outputs: StepOutputs[S]; startedAt: Date; finishedAt: Date }
  | { ok: false; interrupted: false; error: unknown }
  | { ok: false; interrupted: true };

export function errorRecord(error: unknown): StepError {
  if (isMigrateError(error)) {
    const base = { kind: error.kind, message: error.message, retryable: error.retryable };
    const hint = error.hint ? { hint: error.hint } : {};
    if (error instanceof RemoteError) {
      const { host, command, exitCode } = error.failure;
      return { ...base, ...hint, host, command, exitCode };
    }
    return { ...base, ...hint };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { kind: isRetryable(error) ? "remote" : "bug", message, retryable: isRetryable(error) };
}

/**
 * The context of one attempt. `label` is what is recorded (a rollback runs the cutover's undo
 * under the label "rollback", a rehearsal its checks under "rehearse"); `step` is the step its
 * progress and log lines are shown under.
 */
export function stepContext<S extends StepLabel>(
  run: RunContext,
  memory: WorkloadMemory,
  label: S,
  signal: AbortSignal,
): StepContext<StepCheckpoints[S]> {
  const name = memory.workload.name;
  // A rollback runs the cutover's undo; a rehearsal runs checks like verify.
  const step: StepName =
    label === "rollback" ? "cutover" : label === "rehearse" ? "verify" : (label as StepName);
  const key = `${name}/${label}`;
  const { recorder } = run;
  const log =
    (level: "info" | "warn" | "error") =>
    (message: string, fields?: Record<string, unknown>): void => {
      const detail = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
      recorder.emit({
        type: "log",
        level,
        message: `${step}: ${message}${detail}`,
        workload: name,
        at: recorder.now(),
      });
    };
  return {
    remote: (host) => run.remote(host, signal),
    signal,
    log: { info: log("info"), warn: log("warn"), error: log("error") },
    workDir: ensureDir(run.workDir(name)),
    outputsOf: (earlier) => memory.outputs[earlier],
    // The rollback runs the cutover's undo, which reads how far the cutover got (it journals
    // no checkpoint of its own, so the cutover's is only ever read through it).
    lastCheckpoint: (label === "rollback" ? memory.checkpoints.cutover : memory.checkpoints[label]) as
      | StepCheckpoints[S]
      | undefined,
    async checkpoint(data) {
      await recorder.record({ type: "step-checkpoint", workload: name, step: label, key, data } as Fact);
      memory.checkpoints[label] = data;
    },
    progress(progress) {
      recorder.emit({ type: "step-progress", workload: name, step, ...progress, at: recorder.now() });
    },
    lag(lag) {
      recorder.emit({ type: "replication-lag", workload: name, step, ...lag, at: recorder.now() });
    },
    throttle: run.throttle,
    now: () => run.clock.now(),
    options: { ignoreWindow: run.ignoreWindow, discardTargetWrites: run.discardTargetWrites ?? false },
  };
}

const made = new Set<string>();

/** Create a workload's artefact directory once per process, not once per step. */
function ensureDir(dir: string): string {
  if (!made.has(dir)) {
    mkdirSync(dir, { recursive: true });
    made.add(dir);
  }
  return dir;
}

/** Attempt `body` up to 1 + retries times, recording each attempt's start and end. */
export async function attemptStep<S extends StepLabel>(
  run: RunContext,
  memory: WorkloadMemory,
  label: S,
  signal: AbortSignal,
  body: (context: StepContext<StepCheckpoints[S]>) => Promise<StepOutputs[S]>,
): Promise<AttemptResult<S>> {
  const workload = memory.workload.name;
  const { recorder } = run;
  const base = { workload, step: label, key: `${workload}/${label}` };
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) return { ok: false, interrupted: true };
    const startedAt = run.clock.now();
    await recorder.record({
      ...base,
      type: "step-start",
      at: startedAt.toISOString(),
      attempt,
      inputHash: memory.inputHash,
    });
    const t0 = performance.now();
    try {
      const outputs = await body(stepContext(run, memory, label, signal));
      const durationMs = Math.round(performance.now() - t0);
      const finishedAt = run.clock.now();
      await recorder.record({
        ...base,
        type: "step-finish",
        at: finishedAt.toISOString(),
        inputHash: memory.inputHash,
        durationMs,
        outputs,
      } as Fact);
      if (label !== "rollback" && label !== "rehearse")
        (memory.outputs as Record<StepLabel, unknown>)[label] = outputs;
      return { ok: true, outputs, startedAt, finishedAt };
    } catch (error) {
      if (signal.aborted) {
        await recorder.record({ ...base, type: "step-interrupted" });
        return { ok: false, interrupted: true };
      }
      const willRetry = isRetryable(error) && attempt <= run.retry.retries;
      await recorder.record({ ...base, type: "step-fail", attempt, error: errorRecord(error), willRetry });
      if (!willRetry) return { ok: false, interrupted: false, error };
      try {
        await sleep(backoffMs(run.retry, attempt, run.random), signal);
      } catch {
        await recorder.record({ ...base, type: "step-interrupted" });
        return { ok: false, interrupted: true };
      }
    }
  }
}
