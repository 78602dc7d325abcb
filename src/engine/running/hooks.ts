/**
 * Running a step's hooks inside its attempt: each journaled (hook-start, hook-end with exit
 * code, duration and stderr tail), audited by the remote layer like every command. A failing
 * mustSucceed hook throws a non-retryable RemoteError, so the step fails like any other failure
 * (and, around the cutover or verify, the workload rolls back); a failing optional hook is a
 * journaled warning. Resume rule: a before-hook that succeeded is not run again until its step
 * finishes or the workload is rolled back (journal-fold.ts keeps that set).
 */
import { RemoteError, type RemoteFailure } from "../../errors.ts";
import { type HookInput, type HookOutcome, runHook } from "../../steps/hooks.ts";
import type { StepName } from "../../steps/names.ts";
import type { RunContext, WorkloadMemory } from "./step-runner.ts";

/** A mustSucceed hook failed: never retried (the operator's command decides, not a transient fault). */
export class HookFailedError extends RemoteError {
  constructor(
    readonly phase: HookInput["phase"],
    message: string,
    failure: RemoteFailure,
  ) {
    super("remote", message, failure, {
      retryable: false,
      hint: "fix the hook's command or its host (it must succeed: mustSucceed is true), then run apply again",
    });
  }
}

function describeExit(outcome: HookOutcome, timeoutMs: number): string {
  if (outcome.timedOut) return `timed out after ${Math.round(timeoutMs / 1000)}s`;
  return outcome.exitCode === null ? `ended by signal ${outcome.signal}` : `exited ${outcome.exitCode}`;
}

export async function runStepHooks(
  run: RunContext,
  memory: WorkloadMemory,
  step: StepName,
  hooks: readonly HookInput[],
  signal: AbortSignal,
): Promise<void> {
  const workload = memory.workload.name;
  const { recorder } = run;
  for (const hook of hooks) {
    const base = {
      workload,
      step,
      hook: hook.id,
      phase: hook.phase,
      host: hook.host,
      run: hook.run,
      mustSucceed: hook.mustSucceed,
    };
    if (hook.phase === "before" && memory.beforeHooksDone.get(hook.id) === hook.run) {
      recorder.emit({
        type: "log",
        level: "info",
        message: `hook ${hook.id} on ${hook.host} already succeeded before this resume; not run again`,
        workload,
        at: recorder.now(),
      });
      continue;
    }
    const startedAt = recorder.now();
    await recorder.record({ type: "hook-start", ...base });
    let outcome: HookOutcome;
    try {
      outcome = await runHook(await run.remote(hook.host, signal), hook, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      const message = error instanceof Error ? error.message : String(error);
      outcome = {
        ok: false,
        exitCode: null,
        signal: null,
        timedOut: false,
        durationMs: 0,
        stderrTail: message,
      };
    }
    await recorder.record({ type: "hook-end", ...base, startedAt, ...outcome });
    if (outcome.ok) {
      if (hook.phase === "before") memory.beforeHooksDone.set(hook.id, hook.run);
      continue;
    }
    const what = `hook ${hook.id} on ${hook.host} (${hook.run}) ${describeExit(outcome, hook.timeoutMs)}`;
    const tail = outcome.stderrTail ? `: ${outcome.stderrTail}` : "";
    if (!hook.mustSucceed) {
      recorder.emit({
        type: "log",
        level: "warn",
        message: `${what}${tail} (mustSucceed: false, the step goes on)`,
        workload,
        at: recorder.now(),
      });
      continue;
    }
    throw new HookFailedError(hook.phase, `${what}${tail}`, {
      host: hook.host,
      command: hook.run,
      exitCode: outcome.exitCode,
      stderrTail: outcome.stderrTail,
    });
  }
}
