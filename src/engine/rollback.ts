/**
 * `migrate rollback <workload>`: the cutover's undo, run through the journal like any step, so
 * the next apply knows the workload starts over. Refused when its cutover never ran or was
 * already rolled back.
 */
import { UserError } from "../errors.ts";
import { unknownNameHint } from "../plan/did-you-mean.ts";
import type { Plan } from "../plan/schema.ts";
import { formatTime } from "../plan/time.ts";
import type { Remote } from "../remote/types.ts";
import type { CutoverInput } from "../steps/inputs.ts";
import type { Step } from "../steps/types.ts";
import { newRunId } from "./apply.ts";
import { emptyCounts, type OnEvent, type WorkloadStatus } from "./events.ts";
import { workloadFieldHashes, workloadInputHash } from "./input-hash.ts";
import type { Journal } from "./journal.ts";
import { summarize } from "./journal-read.ts";
import type { LockHolder } from "./lock.ts";
import { planRun } from "./planner.ts";
import { DEFAULT_BACKOFF } from "./retry.ts";
import { type Clock, type RunContext, systemClock } from "./step-runner.ts";
import { UNLIMITED } from "./throttle.ts";
import { memoryOf } from "./workload-memory.ts";
import { undoCutover } from "./workload-runner.ts";

export interface RollbackOptions {
  plan: Plan;
  planFile: string;
  planHash: string;
  workload: string;
  journal: Journal;
  cutover: Step<CutoverInput>;
  remote(host: string, signal: AbortSignal): Promise<Remote>;
  onEvent: OnEvent;
  signal: AbortSignal;
  workDir(workload: string): string;
  clock?: Clock;
  backoff?: { baseMs: number; maxMs: number };
  recoveredLock?: LockHolder;
  operator: { user: string; host: string; pid: number; version: string; argv: string[] };
}

export interface RollbackResult {
  runId: string;
  status: WorkloadStatus;
  message?: string;
}

/** Throws UserError("usage") unless the workload's cutover ran and was not rolled back since. */
export function checkRollbackAllowed(plan: Plan, records: Journal["records"], name: string): void {
  const known = plan.workloads.map((workload) => workload.name);
  if (!known.includes(name)) {
    throw new UserError("usage", `${name} is not a workload of plan ${plan.metadata.name}`, {
      hint: unknownNameHint(name, known, "workloads"),
    });
  }
  const state = summarize(records).workloads.get(name);
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
  const clock = options.clock ?? systemClock;
  const workload = plan.workloads.find((item) => item.name === options.workload)!;
  const fields = workloadFieldHashes(plan, workload);
  const hashes = { [workload.name]: workloadInputHash(fields) };
  const runId = newRunId(clock.now());
  const at = () => clock.now().toISOString();
  await journal.append({
    v: 1,
    type: "run-start",
    runId,
    at: at(),
    planFile: options.planFile,
    planName: plan.metadata.name,
    planHash: options.planHash,
    workloadHashes: hashes,
    workloadFieldHashes: { [workload.name]: fields },
    command: "rollback",
    operator: options.operator,
  });
  if (options.recoveredLock)
    await journal.append({ v: 1, type: "lock-recovered", runId, at: at(), previous: options.recoveredLock });
  options.onEvent({
    type: "run-start",
    runId,
    plan: plan.metadata.name,
    planHash: options.planHash,
    workloads: 1,
    at: at(),
  });
  const run: RunContext = {
    plan,
    runId,
    journal,
    remote: options.remote,
    emit: options.onEvent,
    signal: options.signal,
    throttle: UNLIMITED,
    clock,
    retry: { retries: plan.defaults.retries, ...(options.backoff ?? DEFAULT_BACKOFF) },
    ignoreWindow: true,
    workDir: options.workDir,
  };
  // The undo takes the cutover's input as planned, the same the cutover ran with.
  const planned = planRun(plan)
    .waves.flatMap((wave) => wave.workloads)
    .find((item) => item.name === workload.name)!;
  const memory = memoryOf(planned, hashes, summarize(journal.records).workloads.get(workload.name));
  const outcome = await undoCutover(
    run,
    memory,
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
  await journal.append({
    v: 1,
    type: "workload-end",
    runId,
    at: at(),
    workload: workload.name,
    status,
    reason,
  });
  options.onEvent({ type: "workload-end", workload: workload.name, status, reason, at: at() });
  const runStatus = outcome.ok ? "succeeded" : options.signal.aborted ? "interrupted" : "failed";
  await journal.append({ v: 1, type: "run-end", runId, at: at(), status: runStatus });
  const counts = emptyCounts();
  counts[status]++;
  options.onEvent({ type: "run-end", runId, status: runStatus, counts, at: at() });
  return { runId, status, ...(outcome.ok ? {} : { message: outcome.message }) };
}
