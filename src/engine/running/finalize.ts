/**
 * `migrate finalize`: after sign-off, end each selected workload's migration for good
 * (steps/finalize.ts), through the same run session, journal and lock as apply and rollback.
 * Refused, before anything changes, for a workload whose verify has not passed (or was undone
 * by a rollback since). A `finalize` record names when and by whom; rollback refuses after it.
 */
import { UserError } from "../../errors.ts";
import type { Plan } from "../../plan/schema.ts";
import { formatTime } from "../../plan/time.ts";
import type { Remote } from "../../remote/types.ts";
import type { ReplicationStateRecord } from "../../steps/contracts.ts";
import { dropReplications, finalizeHosts } from "../../steps/finalize.ts";
import type { Clock } from "../clock.ts";
import type { OnEvent } from "../events.ts";
import type { Journal } from "../journal/journal.ts";
import { foldJournal, type JournalSummary } from "../journal/journal-fold.ts";
import type { Operator } from "../journal/journal-record.ts";
import type { LockHolder } from "../journal/lock.ts";
import { planRun } from "../planning/planner.ts";
import { selectWorkloads } from "./apply.ts";
import { finishShortRun, openRun } from "./run-session.ts";

export interface FinalizeOptions {
  plan: Plan;
  planFile: string;
  planHash: string;
  journal: Journal;
  only?: readonly string[];
  remote(host: string, signal: AbortSignal): Promise<Remote>;
  onEvent: OnEvent;
  signal: AbortSignal;
  workDir(workload: string): string;
  clock?: Clock;
  recoveredLock?: LockHolder;
  operator: Operator;
}

export interface FinalizeResult {
  runId: string;
  status: "succeeded" | "failed" | "interrupted";
  finalized: string[];
  /** Workloads finalized by an earlier run (left as they are). */
  already: string[];
  failed: { workload: string; message: string }[];
}

/** The journal's word that a workload's migration ended for good (rollback refuses after it). */
export function finalizedRefusal(
  summary: JournalSummary,
  name: string,
  timeZone: string,
): UserError | undefined {
  const record = summary.workloads.get(name)?.finalized;
  if (!record) return undefined;
  return new UserError(
    "usage",
    `${name} was finalized at ${formatTime(record.at, timeZone, { precision: "second" })} by ${record.by}: its migration ended for good and rollback is no longer offered`,
    {
      hint: "the source's services are disabled and its staging is gone; restore from the bureau's backups if the old system must come back",
    },
  );
}

/** Every replication the journal says was started for the workload (checkpoints included). */
function journaledReplications(
  summary: JournalSummary,
  name: string,
): Record<string, ReplicationStateRecord> {
  const reconfigure = summary.workloads.get(name)?.steps.reconfigure;
  return { ...reconfigure?.lastCheckpoint?.replication, ...reconfigure?.outputs?.replication };
}

/**
 * The selected workloads to finalize and those already finalized; throws one UserError naming
 * every workload that has not passed verify (nothing is changed then).
 */
export function checkFinalizeAllowed(
  plan: Plan,
  summary: JournalSummary,
  only: readonly string[] | undefined,
): { todo: string[]; already: string[] } {
  const todo: string[] = [];
  const already: string[] = [];
  const refused: string[] = [];
  for (const workload of selectWorkloads(plan, only)) {
    const state = summary.workloads.get(workload.name);
    if (state?.finalized) {
      already.push(workload.name);
      continue;
    }
    if (state?.completed.has(`${workload.name}/verify`)) todo.push(workload.name);
    else {
      const why = state?.rolledBackAt
        ? "was rolled back after its last verify"
        : state?.steps.verify
          ? `its verify ${state.steps.verify.state === "finished" ? "was undone" : state.steps.verify.state}`
          : "its verify never ran";
      refused.push(`  ${workload.name}: ${why}`);
    }
  }
  if (refused.length > 0) {
    throw new UserError(
      "usage",
      [
        `finalize refused: ${refused.length} workload(s) have not passed verify; nothing was changed:`,
        ...refused,
      ].join("\n"),
      {
        hint: "run `migrate apply` until verify passes (or pass --only with the workloads that did), then finalize",
      },
    );
  }
  return { todo, already };
}

export async function finalizeWorkloads(options: FinalizeOptions): Promise<FinalizeResult> {
  const { plan } = options;
  const before = foldJournal(options.journal.records);
  const { todo, already } = checkFinalizeAllowed(plan, before, options.only);
  const session = await openRun({
    ...options,
    command: "finalize",
    workloads: plan.workloads.filter((workload) => todo.includes(workload.name)),
    selected: todo.length,
    before,
    ignoreWindow: true,
  });
  const planned = new Map(
    planRun(plan)
      .waves.flatMap((wave) => wave.workloads)
      .map((w) => [w.name, w]),
  );
  const finalized: string[] = [];
  const failed: FinalizeResult["failed"] = [];
  const by = `${options.operator.user}@${options.operator.host}`;
  for (const name of todo) {
    if (options.signal.aborted) break;
    const workload = planned.get(name)!;
    const cutover = workload.steps.find((step) => step.name === "cutover");
    if (cutover?.name !== "cutover") throw new TypeError(`finalize: ${name} has no cutover step`);
    const { source, target, services, stagingDir, databases } = cutover.input;
    session.recorder.emit({
      type: "log",
      level: "info",
      message: `finalize: disabling ${services.join(", ") || "no services"} on ${source.name}, removing ${stagingDir} on ${source.name} and ${target.name}`,
      workload: name,
      at: session.recorder.now(),
    });
    try {
      const outcome = await finalizeHosts(
        { workload: name, source: source.name, target: target.name, services, stagingDir },
        (host) => options.remote(host, options.signal),
        options.signal,
      );
      const journaled = journaledReplications(before, name);
      const replicationDropped = await dropReplications(
        databases,
        journaled,
        {
          source: await options.remote(source.name, options.signal),
          target: await options.remote(target.name, options.signal),
          sourceHost: source,
        },
        options.signal,
      );
      // The reverse position the target kept for a rollback: no rollback can use it any more.
      const reverseDropped = await dropReplications(
        databases,
        before.workloads.get(name)?.steps.cutover?.lastCheckpoint?.reverse ?? {},
        {
          source: await options.remote(target.name, options.signal),
          target: await options.remote(source.name, options.signal),
          sourceHost: target,
        },
        options.signal,
      );
      if (reverseDropped.length > 0)
        session.recorder.emit({
          type: "log",
          level: "info",
          message: `finalize: dropped the reverse replication kept for a rollback: ${reverseDropped.join(", ")}`,
          workload: name,
          at: session.recorder.now(),
        });
      if (Object.keys(journaled).length > 0)
        session.recorder.emit({
          type: "log",
          level: replicationDropped.length > 0 ? "warn" : "info",
          message:
            replicationDropped.length > 0
              ? `finalize: dropped replication objects an earlier run left: ${replicationDropped.join(", ")}`
              : "finalize: no replication user, slot, publication or subscription of this migration is left",
          workload: name,
          at: session.recorder.now(),
        });
      await session.recorder.record({
        type: "finalize",
        workload: name,
        by,
        ...outcome,
        stagingDir,
        replicationDropped,
      });
      const dropped =
        replicationDropped.length > 0 ? `, replication dropped (${replicationDropped.join(", ")})` : "";
      await session.recorder.record({
        type: "workload-end",
        workload: name,
        status: "succeeded",
        reason: `finalized by ${by}: source services disabled, staging removed${dropped}`,
      });
      finalized.push(name);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failed.push({ workload: name, message });
      session.recorder.emit({
        type: "log",
        level: "error",
        message: `finalize of ${name} failed: ${message}`,
        workload: name,
        at: session.recorder.now(),
      });
    }
  }
  const status = await finishShortRun(session, options.signal, {
    succeeded: finalized.length,
    failed: failed.length,
  });
  return { runId: session.runId, status, finalized, already, failed };
}
