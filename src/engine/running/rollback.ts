/**
 * `migrate rollback <workload>`: the cutover's undo, run through the journal like any step, so
 * the next apply knows the workload starts over. Refused when its cutover never ran or was
 * already rolled back.
 */
import { type ErrorKind, MigrateError, UserError } from "../../errors.ts";
import { unknownNameHint } from "../../plan/did-you-mean.ts";
import type { Plan } from "../../plan/schema.ts";
import { formatTime } from "../../plan/time.ts";
import type { Remote } from "../../remote/types.ts";
import type { Step } from "../../steps/types.ts";
import type { Throttle } from "../../transfer/types.ts";
import type { Clock } from "../clock.ts";
import { emptyCounts, type OnEvent, type WorkloadStatus } from "../events.ts";
import type { Journal } from "../journal/journal.ts";
import { foldJournal } from "../journal/journal-fold.ts";
import type { Operator } from "../journal/journal-record.ts";
import type { LockHolder } from "../journal/lock.ts";
import { planRun } from "../planning/planner.ts";
import { finalizedRefusal } from "./finalize.ts";
import { openRun } from "./run-session.ts";
import { undoCutover } from "./workload-runner.ts";

export interface RollbackOptions {
  plan: Plan;
  planFile: string;
  planHash: string;
  workload: string;
  journal: Journal;
  cutover: Step<"cutover">;
  remote(host: string, signal: AbortSignal): Promise<Remote>;
  onEvent: OnEvent;
  signal: AbortSignal;
  workDir(workload: string): string;
  clock?: Clock;
  backoff?: { baseMs: number; maxMs: number };
  recoveredLock?: LockHolder;
  operator: Operator;
  /** Chosen before (the run of a shared-state lease). */
  runId?: string;
  /** The plan's bandwidth budget: a rollback carrying the target's writes back draws on it. */
  throttle?: Throttle;
  /** `--discard-target-writes`: roll back even where the target's writes stay behind. */
  discardTargetWrites?: boolean;
}

export interface RollbackResult {
  runId: string;
  status: WorkloadStatus;
  message?: string;
  /** The error's kind when the undo was refused or failed (the CLI's exit code follows it). */
  kind?: ErrorKind;
  hint?: string;
}

/** Throws UserError("usage") unless the workload's cutover ran and was not rolled back since. */
export function checkRollbackAllowed(plan: Plan, records: Journal["records"], name: string): void {
  const known = plan.workloads.map((workload) => workload.name);
  if (!known.includes(name)) {
    throw new UserError("usage", `${name} is not a workload of plan ${plan.metadata.name}`, {
      hint: unknownNameHint(name, known, "workloads"),
    });
  }
  const summary = foldJournal(records);
  const finalized = finalizedRefusal(summary, name, plan.defaults.timezone);
  if (finalized) throw finalized;
  const state = summary.workloads.get(name);
  const cutover = state?.steps.cutover;
  if (!cutover?.startedAt) {
    throw new UserError("usage", `the cutover of ${name} never ran: there is nothing to roll back`, {
      hint: "`migrate status` shows how far each workload got",
    });
  }
  if (state?.rolledBackAt && state.rolledBackAt >= cutover.startedAt) {
    throw new UserError(
      "usage",
      `${name} was already rolled back at ${formatTime(state.rolledBackAt, plan.defaults.timezone, { precision: "second" })}`,
      {
        hint: "traffic already goes to the source; `migrate apply` migrates it again",
      },
    );
  }
}

export async function rollbackWorkload(options: RollbackOptions): Promise<RollbackResult> {
  const { plan, journal } = options;
  checkRollbackAllowed(plan, journal.records, options.workload);
  const workload = plan.workloads.find((item) => item.name === options.workload)!;
  const session = await openRun({
    ...options,
    command: "rollback",
    workloads: [workload],
    selected: 1,
    ignoreWindow: true,
  });
  // The undo takes the cutover's input as planned, the same the cutover ran with.
  const planned = planRun(plan)
    .waves.flatMap((wave) => wave.workloads)
    .find((item) => item.name === workload.name)!;
  const outcome = await undoCutover(
    { ...session.context, discardTargetWrites: options.discardTargetWrites ?? false },
    session.memoryOf(planned),
    options.cutover,
    "rollback requested by the operator",
    options.signal,
  );
  const status: WorkloadStatus = outcome.ok
    ? "rolled-back"
    : options.signal.aborted
      ? "interrupted"
      : "failed";
  const reason = outcome.ok
    ? "rolled back by the operator (traffic to the source, source services started)"
    : `rollback failed: ${outcome.message}`;
  await session.recorder.record({ type: "workload-end", workload: workload.name, status, reason });
  const runStatus = outcome.ok ? "succeeded" : options.signal.aborted ? "interrupted" : "failed";
  const counts = emptyCounts();
  counts[status]++;
  await session.finish(runStatus, counts);
  if (outcome.ok) return { runId: session.runId, status };
  const known = outcome.error instanceof MigrateError ? outcome.error : undefined;
  return {
    runId: session.runId,
    status,
    message: outcome.message,
    ...(known ? { kind: known.kind } : {}),
    ...(known?.hint ? { hint: known.hint } : {}),
  };
}
