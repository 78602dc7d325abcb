/**
 * A workload's hooks resolved per step (pure): the `StepHooks` apply runs and the `hook` actions
 * `migrate plan` shows before and after the step's own actions.
 */
import { parseDurationMs } from "../../plan/duration.ts";
import type { Workload } from "../../plan/schema.ts";
import { HOOK_PHASES, type HookInput, type StepHooks } from "../../steps/hooks.ts";
import type { StepName } from "../../steps/names.ts";
import type { HookAction } from "./plan-actions.ts";

/** The step's hooks, or undefined when it has none (the run plan then carries no `hooks`). */
export function stepHooks(workload: Workload, step: StepName): StepHooks | undefined {
  const resolve = (phase: HookInput["phase"]): HookInput[] =>
    (workload.hooks?.[phase]?.[step] ?? []).map((hook, index) => ({
      id: `${step}/${phase}/${index}`,
      phase,
      host: hook.host,
      run: hook.run,
      timeoutMs: parseDurationMs(hook.timeout),
      mustSucceed: hook.mustSucceed,
    }));
  const [before, after] = HOOK_PHASES.map(resolve) as [HookInput[], HookInput[]];
  return before.length + after.length === 0 ? undefined : { before, after };
}

export function hookActions(hooks: readonly HookInput[]): HookAction[] {
  return hooks.map((hook) => {
    const step = hook.id.split("/")[0];
    const failure = hook.mustSucceed ? "must succeed" : "a failure is a warning";
    return {
      type: "hook",
      phase: hook.phase,
      host: hook.host,
      run: hook.run,
      timeoutMs: hook.timeoutMs,
      mustSucceed: hook.mustSucceed,
      summary: `hook ${hook.phase} ${step} on ${hook.host}: ${hook.run} (timeout ${Math.round(hook.timeoutMs / 1000)}s, ${failure})`,
    };
  });
}
