/**
 * One workload from its first remaining step to its end: window check before cutover, downtime
 * budget before verify, automatic rollback (the cutover's undo) when cutover or verify fails or
 * is interrupted, and exactly one `workload-end` record saying how it ended and why.
 */
import type { CutoverCheckpoint } from "../../steps/cutover-checkpoint.ts";
import type { StepName } from "../../steps/names.ts";
import { type RehearseInput, rehearseOnTarget } from "../../steps/rehearse.ts";
import { runPlannedStep } from "../../steps/run-planned.ts";
import type { Step, StepContext, StepImplementations } from "../../steps/types.ts";
import type { WorkloadStatus } from "../events.ts";
import { cutoverInput, type RunStep } from "../planning/planner.ts";
import { downtimeBudgetMs, windowRefusal } from "../planning/window.ts";
import { HookFailedError, runStepHooks } from "./hooks.ts";
import { attemptStep, type RunContext, type WorkloadMemory } from "./step-runner.ts";

/** A rollback after Ctrl-C runs on its own deadline: the run's signal is already aborted. */
export const ROLLBACK_DEADLINE_MS = 5 * 60_000;

export interface WorkloadRun {
  memory: WorkloadMemory;
  /** Remaining steps in order, each with its input from the run plan (finished ones left out). */
  steps: readonly RunStep[];
  implementations: StepImplementations;
  /** Test-only fault injection: fail the workload right after this step key finished. */
  failAfter?: string | undefined;
  /** A rehearsal run: after the steps, rehearse on the target (journaled as "rehearse"). */
  rehearse?: RehearseInput | undefined;
  /** Why a run that stops early on purpose ends the workload there (`--stop-before`). */
  doneReason?: string | undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** "verify failed: …", without doubling a prefix the step's own message already has. */
function failureReason(step: StepName, error: unknown): string {
  const message = describe(error);
  return message.startsWith(`${step} failed`) ? message : `${step} failed: ${message}`;
}

export async function runWorkload(run: RunContext, job: WorkloadRun): Promise<WorkloadStatus> {
  const { memory } = job;
  const name = memory.workload.name;
  const budgetMs = downtimeBudgetMs(memory.workload);
  const end = async (
    status: WorkloadStatus,
    extra: { reason?: string; downtimeMs?: number; budgetExceeded?: boolean } = {},
  ): Promise<WorkloadStatus> => {
    const budget = budgetMs === undefined ? {} : { downtimeBudgetMs: budgetMs };
    await run.recorder.record({ type: "workload-end", workload: name, status, ...extra, ...budget });
    return status;
  };
  // The downtime runs from the freeze the cutover declares in its outputs (steps/contracts.ts).
  const frozenAt = (): number | undefined => {
    const value = memory.outputs.cutover?.frozenAt;
    return value === undefined ? undefined : Date.parse(value);
  };

  for (const planned of job.steps) {
    const step = planned.name;
    if (run.signal.aborted) return end("interrupted", { reason: `stopped before ${step}` });
    if (step === "cutover" && !run.ignoreWindow) {
      const refusal = windowRefusal(memory.workload, run.clock.now(), run.plan.defaults.timezone);
      if (refusal) {
        const progress = job.implementations.cutover.progressOf?.(memory.checkpoints.cutover) ?? "none";
        // Nothing changed yet: refuse as before. Traffic already on the target: the window
        // bounded the switch, which happened inside it, so finish (verify or roll back).
        if (progress === "none") return end("failed", { reason: refusal });
        if (progress === "frozen") {
          // Frozen, never switched (a crash or Ctrl-C mid-cutover, resumed too late): the
          // source must not stay down outside the window. Defer: source services started,
          // traffic stays on (or goes back to) the source, the target's services stopped.
          const reason = `cutover deferred: ${refusal.replace(/^cutover refused: /, "")}; the source was frozen but traffic was never switched`;
          const [status, detail] = await rollBack(run, job, reason, run.signal);
          return end(status, {
            reason:
              status === "rolled-back"
                ? `${reason}; the source's services were started again and it serves traffic — run apply inside the next window`
                : detail.reason,
          });
        }
      }
    }
    if (step === "verify" && budgetMs !== undefined) {
      const since = frozenAt();
      const elapsed = since === undefined ? 0 : run.clock.now().getTime() - since;
      if (elapsed > budgetMs) {
        const reason = `downtime budget ${memory.workload.downtimeBudget} exceeded before verification (source frozen ${Math.round(elapsed / 1000)}s)`;
        return await end(...(await rollBack(run, job, reason, run.signal)));
      }
    }
    const result =
      planned.name === "cutover"
        ? await attemptStep(run, memory, "cutover", run.signal, (context) =>
            withHooks(run, memory, planned, context.signal, () =>
              job.implementations.cutover.run(planned.input, announcingFreeze(run, memory, context)),
            ),
          )
        : await attemptStep<StepName>(run, memory, step, run.signal, (context) =>
            withHooks(run, memory, planned, context.signal, () =>
              runPlannedStep(job.implementations, planned, context),
            ),
          );
    const inCutover = step === "cutover" || step === "verify";
    if (!result.ok && result.interrupted) {
      if (!inCutover) return end("interrupted", { reason: `interrupted during ${step}` });
      // Never leave a frozen source behind on Ctrl-C: traffic goes back to it.
      const [status, detail] = await rollBack(
        run,
        job,
        `interrupted during ${step}`,
        AbortSignal.timeout(ROLLBACK_DEADLINE_MS),
      );
      return end(status === "rolled-back" ? "interrupted" : status, detail);
    }
    if (!result.ok) {
      const reason = failureReason(step, result.error);
      // A before-cutover hook failed and no attempt froze the source: nothing to undo.
      const untouched =
        (job.implementations.cutover.progressOf?.(memory.checkpoints.cutover) ?? "none") === "none";
      if (
        step === "cutover" &&
        untouched &&
        result.error instanceof HookFailedError &&
        result.error.phase === "before"
      )
        return end("failed", {
          reason: `${reason}; nothing was frozen or switched, traffic stays on the source`,
        });
      return inCutover ? end(...(await rollBack(run, job, reason, run.signal))) : end("failed", { reason });
    }
    const frozen = memory.outputs.cutover?.frozenAt;
    if (step === "cutover" && frozen !== undefined) announceFreeze(run, memory, frozen);
    if (job.failAfter === `${name}/${step}`) {
      return end("failed", {
        reason: `injected fault after ${job.failAfter} (MIGRATE_FAIL_AFTER, a test-only switch)`,
      });
    }
    if (step === "verify") {
      const since = frozenAt();
      if (since === undefined) return end("succeeded");
      const downtimeMs = result.finishedAt.getTime() - since;
      const budgetExceeded = budgetMs !== undefined && downtimeMs > budgetMs;
      if (budgetExceeded) {
        const message = `downtime ${Math.round(downtimeMs / 1000)}s exceeded the budget ${memory.workload.downtimeBudget} (verified; not rolled back)`;
        run.recorder.emit({ type: "log", level: "warn", message, workload: name, at: run.recorder.now() });
        return end("succeeded", { downtimeMs, budgetExceeded, reason: message });
      }
      return end("succeeded", { downtimeMs, ...(budgetMs === undefined ? {} : { budgetExceeded: false }) });
    }
  }
  if (job.rehearse) return rehearse(run, job, job.rehearse, end);
  return end("succeeded", job.doneReason === undefined ? {} : { reason: job.doneReason });
}

/** The rehearsal after the pre-cutover steps: its outcome ends the workload. */
async function rehearse(
  run: RunContext,
  job: WorkloadRun,
  input: RehearseInput,
  end: (status: WorkloadStatus, extra?: { reason?: string }) => Promise<WorkloadStatus>,
): Promise<WorkloadStatus> {
  if (run.signal.aborted) return end("interrupted", { reason: "stopped before the rehearsal" });
  const result = await attemptStep(run, job.memory, "rehearse", run.signal, (context) =>
    rehearseOnTarget(input, context),
  );
  if (!result.ok && result.interrupted)
    return end("interrupted", { reason: "interrupted during the rehearsal" });
  if (!result.ok) return end("failed", { reason: describe(result.error) });
  const projected = Math.round(result.outputs.projectedDowntimeMs / 1000);
  const budget = job.memory.workload.downtimeBudget;
  return end("succeeded", {
    reason: `rehearsed: verify passed on the target, projected downtime ${projected} s${budget ? ` of ${budget}` : ""}; ready for cutover`,
  });
}

/** The step's own work between its before- and after-hooks (hooks.ts), inside one attempt. */
async function withHooks<T>(
  run: RunContext,
  memory: WorkloadMemory,
  planned: RunStep,
  signal: AbortSignal,
  work: () => Promise<T>,
): Promise<T> {
  if (!planned.hooks) return work();
  await runStepHooks(run, memory, planned.name, planned.hooks.before, signal);
  const outputs = await work();
  await runStepHooks(run, memory, planned.name, planned.hooks.after, signal);
  return outputs;
}

/** The freeze is announced once, the moment the cutover records it (or, at the latest, when it finished). */
function announceFreeze(run: RunContext, memory: WorkloadMemory, at: string): void {
  if (memory.freezeAnnounced) return;
  memory.freezeAnnounced = true;
  run.recorder.emit({ type: "cutover-freeze", workload: memory.workload.name, at });
}

/**
 * The cutover's context, announcing the freeze as soon as a checkpoint declares it, so the
 * operator's downtime clock runs during the final sync and switch.
 */
function announcingFreeze(
  run: RunContext,
  memory: WorkloadMemory,
  context: StepContext<CutoverCheckpoint>,
): StepContext<CutoverCheckpoint> {
  return {
    ...context,
    async checkpoint(data) {
      await context.checkpoint(data);
      announceFreeze(run, memory, data.frozenAt);
    },
  };
}

/**
 * Traffic back to the source and its services started: the cutover step's undo, journaled as
 * step "rollback". The workload ends rolled-back, or failed when even the undo failed.
 */
async function rollBack(
  run: RunContext,
  job: WorkloadRun,
  reason: string,
  signal: AbortSignal,
): Promise<[WorkloadStatus, { reason: string }]> {
  const outcome = await undoCutover(run, job.memory, job.implementations.cutover, reason, signal);
  if (outcome.ok)
    return [
      "rolled-back",
      { reason: `${reason}; rolled back (traffic to the source, source services started)` },
    ];
  return [
    "failed",
    {
      reason: `${reason}; ROLLBACK FAILED: ${outcome.message} — check the gateway and the source by hand, then run \`migrate rollback\``,
    },
  ];
}

/** Run the cutover's undo through the journal; shared by automatic and `migrate rollback`. */
export async function undoCutover(
  run: RunContext,
  memory: WorkloadMemory,
  cutover: Step<"cutover">,
  reason: string,
  signal: AbortSignal,
): Promise<{ ok: true } | { ok: false; message: string; error?: unknown }> {
  const name = memory.workload.name;
  run.recorder.emit({ type: "rollback-start", workload: name, reason, at: run.recorder.now() });
  const undo = cutover.undo?.bind(cutover);
  const result = await attemptStep(run, memory, "rollback", signal, async (context) => {
    if (!undo) throw new Error("the cutover step has no undo");
    await undo(cutoverInput(memory.workload), context);
    return { reason };
  });
  const message = result.ok ? undefined : result.interrupted ? "interrupted" : describe(result.error);
  run.recorder.emit({
    type: "rollback-end",
    workload: name,
    ok: result.ok,
    ...(message ? { message } : {}),
    at: run.recorder.now(),
  });
  if (result.ok) return { ok: true };
  return { ok: false, message: message ?? "failed", ...(result.interrupted ? {} : { error: result.error }) };
}
