/**
 * The shared scheduler: after every change of a run's work rows (start, a workload's end, a
 * handed-back lease, a cancel), `advance` decides in one transaction, under the plan's advisory
 * lock, what becomes ready — waves in order, dependencies succeeded, the concurrency limits
 * counted over every runner — skips the dependents of what did not succeed, and writes run-end
 * once every workload has ended. The same rules as the local scheduler (running/scheduler.ts).
 */

import type { PoolClient } from "pg";
import type PgBoss from "pg-boss";
import type { WorkloadStatus } from "../events.ts";
import { type JournalRecord, RECORD_VERSION } from "../journal/journal-record.ts";
import { inTransaction } from "./transaction.ts";
import { sendJobs } from "./work-queue.ts";

/** What every runner of a run follows: the plan's limits and the operator's flags. */
export interface RunSettings {
  concurrency: number;
  perHost: number;
  perTenant: number;
  ignoreWindow: boolean;
}

interface WorkRow {
  workload: string;
  wave: number;
  host: string;
  zone: string;
  tenant: string;
  depends_on: string[];
  state: "pending" | "queued" | "running" | "done";
  status: WorkloadStatus | null;
}

export async function insertRecord(client: PoolClient, plan: string, record: JournalRecord): Promise<void> {
  const workload = "workload" in record ? record.workload : null;
  await client.query("INSERT INTO journal (plan, run_id, workload, record) VALUES ($1, $2, $3, $4)", [
    plan,
    record.runId,
    workload,
    record,
  ]);
}

function dependencyReason(name: string, status: WorkloadStatus | null): string {
  return status === "rolled-back"
    ? `dependency ${name} was rolled back`
    : `dependency ${name} ${status ?? "did not run"}`;
}

/** Take the plan's advisory lock for the rest of the caller's transaction. */
export async function lockPlan(client: PoolClient, plan: string): Promise<void> {
  await client.query("SELECT pg_advisory_xact_lock(hashtext('migrate-plan:' || $1))", [plan]);
}

/** Queue what is ready, skip what cannot run, and end the run when nothing is left. */
export async function advance(client: PoolClient, boss: PgBoss, runId: string): Promise<void> {
  const run = await client.query<{ plan: string; cancel: boolean; limits: RunSettings; state: string }>(
    "SELECT plan, cancel, settings AS limits, state FROM runs WHERE run_id = $1",
    [runId],
  );
  const { plan, cancel, limits, state } = run.rows[0] ?? {};
  if (!plan || !limits || state !== "running") return;
  const { rows } = await client.query<WorkRow>(
    "SELECT workload, wave, host, zone, tenant, depends_on, state, status FROM work WHERE run_id = $1 ORDER BY wave, workload",
    [runId],
  );
  const byName = new Map(rows.map((row) => [row.workload, row]));
  const at = new Date().toISOString();
  const end = async (row: WorkRow, status: WorkloadStatus, reason: string) => {
    row.state = "done";
    row.status = status;
    await client.query("UPDATE work SET state = 'done', status = $3 WHERE run_id = $1 AND workload = $2", [
      runId,
      row.workload,
      status,
    ]);
    await insertRecord(client, plan, {
      v: RECORD_VERSION,
      runId,
      at,
      type: "workload-end",
      workload: row.workload,
      status,
      reason,
    });
  };

  if (cancel) {
    for (const row of rows) {
      if (row.state === "pending" || row.state === "queued")
        await end(row, "interrupted", "cancelled (migrate cancel)");
    }
  } else {
    const busy = rows.filter((row) => row.state === "queued" || row.state === "running");
    const count = (key: (row: WorkRow) => string, value: string) =>
      busy.filter((row) => key(row) === value).length;
    const ready: WorkRow[] = [];
    for (let changed = true; changed; ) {
      changed = false;
      for (const row of rows) {
        if (row.state !== "pending") continue;
        if (rows.some((other) => other.wave < row.wave && other.state !== "done")) continue;
        const deps = row.depends_on.map((name) => byName.get(name));
        const failed = deps.find((dep) => dep?.state === "done" && dep.status !== "succeeded");
        if (failed) {
          await end(row, "skipped", dependencyReason(failed.workload, failed.status));
          changed = true;
          continue;
        }
        if (deps.some((dep) => dep && dep.state !== "done")) continue;
        if (
          busy.length >= limits.concurrency ||
          count((r) => r.host, row.host) >= limits.perHost ||
          count((r) => r.tenant, row.tenant) >= limits.perTenant
        )
          continue;
        row.state = "queued";
        busy.push(row);
        ready.push(row);
      }
    }
    if (ready.length > 0) {
      await client.query("UPDATE work SET state = 'queued' WHERE run_id = $1 AND workload = ANY($2)", [
        runId,
        ready.map((row) => row.workload),
      ]);
      await sendJobs(
        boss,
        client,
        ready.map((row) => ({ runId, plan, workload: row.workload, host: row.host, zone: row.zone })),
      );
    }
  }

  if (rows.every((row) => row.state === "done")) {
    const status = cancel
      ? "interrupted"
      : rows.every((row) => row.status === "succeeded")
        ? "succeeded"
        : "failed";
    await insertRecord(client, plan, { v: RECORD_VERSION, runId, at, type: "run-end", status });
    await client.query("UPDATE runs SET state = 'finished', ended_at = now() WHERE run_id = $1", [runId]);
  }
}

/** Run `body` in a transaction holding the plan's lock, then advance the run. */
export async function inPlanTransaction<T>(
  pool: { connect(): Promise<PoolClient> },
  boss: PgBoss,
  plan: string,
  runId: string,
  body: (client: PoolClient) => Promise<T>,
): Promise<T> {
  return inTransaction(pool, async (client) => {
    await lockPlan(client, plan);
    const result = await body(client);
    await advance(client, boss, runId);
    return result;
  });
}
