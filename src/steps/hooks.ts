/**
 * Hooks: the operator's own shell commands around a step (docs/hooks.md). The planner resolves
 * them into `HookInput`s on the run plan; the engine decides when each runs and journals it;
 * running one on its host is done here, where every host change lives. The command text is
 * the operator's, passed as one quoted argument to `sh -c`, like reconfigure's `commands`.
 */
import { z } from "zod";
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";

export const HOOK_PHASES = ["before", "after"] as const;
export type HookPhase = (typeof HOOK_PHASES)[number];

export const HookInput = z.strictObject({
  /** `${step}/${phase}/${index}`: names the hook in the journal and on resume. */
  id: z.string(),
  phase: z.enum(HOOK_PHASES),
  host: z.string(),
  run: z.string(),
  timeoutMs: z.number().int().positive(),
  mustSucceed: z.boolean(),
});
export type HookInput = z.infer<typeof HookInput>;

/** The hooks around one planned step, in the order they run. */
export const StepHooks = z.strictObject({ before: z.array(HookInput), after: z.array(HookInput) });
export type StepHooks = z.infer<typeof StepHooks>;

export interface HookOutcome {
  ok: boolean;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  /** The last bytes of stderr (what an operator needs to see why it failed). */
  stderrTail: string;
}

const STDERR_TAIL = 500;

/** Run one hook on its host; a failure is an outcome, never a throw (the engine decides). */
export async function runHook(remote: Remote, hook: HookInput, signal: AbortSignal): Promise<HookOutcome> {
  const result = await remote.run(sh`sh -c ${hook.run}`, {
    signal,
    timeoutMs: hook.timeoutMs,
    maxBuffer: 64 * 1024,
  });
  return {
    ok: result.exitCode === 0 && !result.timedOut,
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    durationMs: result.durationMs,
    stderrTail: result.stderr.trim().slice(-STDERR_TAIL),
  };
}
