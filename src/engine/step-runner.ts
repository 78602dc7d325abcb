/**
 * Running one step of one workload: build its context, journal start/checkpoints/finish or
 * failure, retry retryable faults with backoff, and journal an interruption when the signal
 * stops it. Everything the step may touch comes through the context.
 */
import { mkdirSync } from "node:fs";
import { isMigrateError, RemoteError } from "../errors.ts";
import type { Plan } from "../plan/schema.ts";
import type { Remote } from "../remote/types.ts";
import type { StepName } from "../steps/names.ts";
import type { StepContext } from "../steps/types.ts";
import type { Throttle } from "../transfer/types.ts";
import type { OnEvent } from "./events.ts";
import type { Journal } from "./journal.ts";
import type { JournalRecord } from "./journal-record.ts";
import type { RunWorkload } from "./planner.ts";
import { backoffMs, isRetryable, type RetryPolicy, sleep } from "./retry.ts";

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** What every step of a run shares. */
export interface RunContext {
  plan: Plan;
  runId: string;
  journal: Journal;
  remote(host: string, signal: AbortSignal): Promise<Remote>;
  emit: OnEvent;
  signal: AbortSignal;
  throttle: Throttle;
  clock: Clock;
  retry: RetryPolicy;
  ignoreWindow: boolean;
  workDir(workload: string): string;
  random?: () => number;
}

/** Per workload: its input hash and what earlier steps (this run or before) left behind. */
export interface WorkloadMemory {
  /** The workload as planned: its steps with their inputs, window and downtime budget. */
  workload: RunWorkload;
  inputHash: string;
  outputs: Map<StepName, Record<string, unknown>>;
  checkpoints: Map<string, Record<string, unknown>>;
  /** Set once `cutover-freeze` was emitted, so the freeze is announced exactly once. */
  freezeAnnounced?: boolean;
}

export type StepLabel = StepName | "rollback";

export type AttemptResult =
  | { ok: true; outputs: Record<string, unknown>; startedAt: Date; finishedAt: Date }
  | { ok: false; interrupted: false; error: unknown }
  | { ok: false; interrupted: true };

export function errorRecord(error: unknown): Extract<JournalRecord, { type: "step-fail" }>["error"] {
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

export function stepContext(
  run: RunContext,
  memory: WorkloadMemory,
  step: StepName,
  key: string,
  signal: AbortSignal,
): StepContext {
  const name = memory.workload.name;
  const at = () => run.clock.now().toISOString();
  const log =
    (level: "info" | "warn" | "error") =>
    (message: string, fields?: Record<string, unknown>): void => {
      const detail = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
      run.emit({ type: "log", level, message: `${step}: ${message}${detail}`, workload: name, at: at() });
    };
  return {
    remote: (host) => run.remote(host, signal),
    signal,
    log: { info: log("info"), warn: log("warn"), error: log("error") },
    workDir: ensureDir(run.workDir(name)),
    outputsOf: (earlier) => memory.outputs.get(earlier),
    lastCheckpoint: memory.checkpoints.get(key),
    async checkpoint(data) {
      await run.journal.append({
        v: 1,
        type: "step-checkpoint",
        runId: run.runId,
        at: at(),
        workload: name,
        step,
        key,
        data,
      });
      memory.checkpoints.set(key, data);
      // The cutover checkpoints `frozenAt` the moment the source stops serving: announce it
      // now, so the operator's downtime clock runs during the final sync and switch.
      if (step === "cutover" && typeof data.frozenAt === "string" && !memory.freezeAnnounced) {
        memory.freezeAnnounced = true;
        run.emit({ type: "cutover-freeze", workload: name, at: data.frozenAt });
      }
    },
    progress(progress) {
      run.emit({ type: "step-progress", workload: name, step, ...progress, at: at() });
    },
    throttle: run.throttle,
    now: () => run.clock.now(),
    options: { ignoreWindow: run.ignoreWindow },
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

/**
 * Attempt `body` up to 1 + retries times. `label` is the journaled step (a rollback runs the
 * cutover's undo under the label "rollback"); events are only emitted for real steps.
 */
export async function attemptStep(
  run: RunContext,
  memory: WorkloadMemory,
  label: StepLabel,
  signal: AbortSignal,
  body: (context: StepContext) => Promise<Record<string, unknown>>,
): Promise<AttemptResult> {
  const workload = memory.workload.name;
  const key = `${workload}/${label}`;
  const step: StepName = label === "rollback" ? "cutover" : label;
  const base = { v: 1 as const, runId: run.runId, workload, step: label, key };
  const at = () => run.clock.now().toISOString();
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) return { ok: false, interrupted: true };
    const startedAt = run.clock.now();
    await run.journal.append({
      ...base,
      type: "step-start",
      at: startedAt.toISOString(),
      attempt,
      inputHash: memory.inputHash,
    });
    if (label !== "rollback")
      run.emit({ type: "step-start", workload, step, attempt, at: startedAt.toISOString() });
    const t0 = performance.now();
    try {
      const outputs = await body(stepContext(run, memory, step, key, signal));
      const durationMs = Math.round(performance.now() - t0);
      const finishedAt = run.clock.now();
      await run.journal.append({
        ...base,
        type: "step-finish",
        at: finishedAt.toISOString(),
        inputHash: memory.inputHash,
        durationMs,
        outputs,
      });
      if (label !== "rollback") {
        memory.outputs.set(step, outputs);
        run.emit({ type: "step-end", workload, step, durationMs, outputs, at: finishedAt.toISOString() });
      }
      return { ok: true, outputs, startedAt, finishedAt };
    } catch (error) {
      if (signal.aborted) {
        await run.journal.append({ ...base, type: "step-interrupted", at: at() });
        return { ok: false, interrupted: true };
      }
      const willRetry = isRetryable(error) && attempt <= run.retry.retries;
      const detail = errorRecord(error);
      await run.journal.append({ ...base, type: "step-fail", at: at(), attempt, error: detail, willRetry });
      if (label !== "rollback") {
        run.emit({ type: "step-fail", workload, step, ...pick(detail), attempt, willRetry, at: at() });
      }
      if (!willRetry) return { ok: false, interrupted: false, error };
      try {
        await sleep(backoffMs(run.retry, attempt, run.random), signal);
      } catch {
        await run.journal.append({ ...base, type: "step-interrupted", at: at() });
        return { ok: false, interrupted: true };
      }
    }
  }
}

function pick(detail: ReturnType<typeof errorRecord>) {
  const hint = detail.hint ? { hint: detail.hint } : {};
  return { kind: detail.kind, message: detail.message, ...hint, retryable: detail.retryable };
}
