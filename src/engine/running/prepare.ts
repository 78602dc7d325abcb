/**
 * `migrate prepare`: for each selected workload's database that would replicate, run the
 * replication preflight and set, on the source server, the settings it blocks on that only a
 * restart brings into effect (steps/db/replication/prepare-settings.ts), each change journaled
 * as a `prepare` record through the same run session and audit log as apply. The server is
 * restarted only when asked (`restart`), then the preflight runs again to show the effect.
 * Findings prepare cannot fix (a table without a key, large objects...) are reported as they are.
 */
import { isMigrateError, UserError } from "../../errors.ts";
import type { Database, Plan } from "../../plan/schema.ts";
import type { Remote } from "../../remote/types.ts";
import { replicationEngineFor } from "../../steps/db/replication/engines.ts";
import {
  type PreparedSettings,
  preparableCodes,
  prepareServer,
  restartServer,
} from "../../steps/db/replication/prepare-settings.ts";
import type { ReplicationFinding } from "../../steps/db/replication/types.ts";
import type { OnEvent } from "../events.ts";
import type { Journal } from "../journal/journal.ts";
import type { Operator } from "../journal/journal-record.ts";
import type { LockHolder } from "../journal/lock.ts";
import { replicationCandidate } from "../planning/replication-probe.ts";
import { windowRefusal } from "../planning/window.ts";
import { selectWorkloads } from "./apply.ts";
import { finishShortRun, openRun } from "./run-session.ts";

export interface PrepareOptions {
  plan: Plan;
  planFile: string;
  planHash: string;
  journal: Journal;
  only?: readonly string[];
  restart: boolean;
  remote(host: string, signal: AbortSignal): Promise<Remote>;
  onEvent: OnEvent;
  signal: AbortSignal;
  workDir(workload: string): string;
  recoveredLock?: LockHolder;
  operator: Operator;
}

export interface PreparedDatabase {
  workload: string;
  database: string;
  host: string;
  settings: PreparedSettings["settings"];
  restartNeeded: boolean;
  restarted: boolean;
  /** Blocking findings left after prepare (those it does not fix, or all before a restart). */
  remaining: ReplicationFinding[];
}

export interface PrepareResult {
  status: "succeeded" | "failed" | "interrupted";
  prepared: PreparedDatabase[];
  failed: { workload: string; database: string; error: unknown }[];
}

/** Workloads whose window is not open now, when a restart is asked for: refused before any change. */
export function checkRestartWindows(
  plan: Plan,
  only: readonly string[] | undefined,
  now: Date,
  ignoreWindow: boolean,
): void {
  if (ignoreWindow) return;
  const refused = selectWorkloads(plan, only).flatMap((workload) => {
    const why = windowRefusal(workload, now, plan.defaults.timezone);
    return why ? [`  ${workload.name}: ${why.replace("cutover refused: ", "")}`] : [];
  });
  if (refused.length === 0) return;
  throw new UserError(
    "not-ready",
    [
      "prepare --restart refused: a database restart interrupts the source's service; nothing was changed:",
      ...refused,
    ].join("\n"),
    {
      hint: "run it inside the workload's maintenance window, or pass --ignore-window for an agreed restart; without --restart the settings are written and wait for the next restart",
    },
  );
}

const blocksOf = (findings: readonly ReplicationFinding[]) => findings.filter((f) => f.severity === "block");

async function prepareOne(
  workload: Plan["workloads"][number],
  db: Database,
  options: PrepareOptions,
  record: (prepared: PreparedDatabase, file?: string) => Promise<void>,
): Promise<PreparedDatabase> {
  const engine = replicationEngineFor(db.engine);
  if (!engine) throw new UserError("usage", `${db.engine} has no native replication in this build`);
  const [source, target] = await Promise.all([
    options.remote(workload.source, options.signal),
    options.remote(workload.target, options.signal),
  ]);
  const findings = await engine.preflight(source, target, db, options.signal);
  const fixable = preparableCodes(db.engine);
  const codes = new Set(
    blocksOf(findings)
      .map((f) => f.code)
      .filter((code) => fixable.has(code)),
  );
  const base = { workload: workload.name, database: db.name, host: workload.source };
  if (codes.size === 0)
    return { ...base, settings: {}, restartNeeded: false, restarted: false, remaining: blocksOf(findings) };
  const set = await prepareServer({ source, target, db, codes, signal: options.signal });
  const restarted = options.restart && set.restartNeeded;
  const prepared = { ...base, settings: set.settings, restartNeeded: set.restartNeeded, restarted: false };
  if (!restarted) {
    const result = { ...prepared, remaining: blocksOf(findings) };
    await record(result, set.file);
    return result;
  }
  await restartServer(source, db, options.signal);
  const after = await engine.preflight(source, target, db, options.signal);
  const result = { ...prepared, restartNeeded: false, restarted: true, remaining: blocksOf(after) };
  await record(result, set.file);
  return result;
}

export async function prepareDatabases(options: PrepareOptions): Promise<PrepareResult> {
  const workloads = selectWorkloads(options.plan, options.only);
  const session = await openRun({
    ...options,
    command: "prepare",
    workloads,
    selected: workloads.length,
    ignoreWindow: true,
  });
  const prepared: PreparedDatabase[] = [];
  const failed: PrepareResult["failed"] = [];
  for (const workload of workloads) {
    for (const db of workload.databases.filter(replicationCandidate)) {
      if (options.signal.aborted) break;
      const record = async (result: PreparedDatabase, file?: string) => {
        const { workload: name, database, host, settings, restartNeeded, restarted } = result;
        await session.recorder.record({
          type: "prepare",
          workload: name,
          database,
          host,
          settings,
          ...(file ? { file } : {}),
          restartNeeded,
          restarted,
        });
      };
      try {
        prepared.push(await prepareOne(workload, db, options, record));
      } catch (error) {
        if (options.signal.aborted) break;
        failed.push({ workload: workload.name, database: db.name, error });
        const message = isMigrateError(error) || error instanceof Error ? error.message : String(error);
        session.recorder.emit({
          type: "log",
          level: "error",
          message: `prepare of ${db.name} failed: ${message}`,
          workload: workload.name,
          at: session.recorder.now(),
        });
      }
    }
  }
  const status = await finishShortRun(session, options.signal, {
    succeeded: prepared.length,
    failed: failed.length,
  });
  return { status, prepared, failed };
}
