/**
 * Leases on workloads: a runner claims a queued workload (or takes over one whose lease
 * expired) by raising its generation — the fencing token every journal write of that runner
 * carries (pg-journal.ts). Heartbeats extend the lease; a runner whose heartbeat finds another
 * generation has lost the workload and stops.
 */

import type { Pool } from "pg";
import type PgBoss from "pg-boss";
import type { WorkloadStatus } from "../events.ts";
import { inPlanTransaction } from "./advance.ts";
import type { Fence } from "./pg-journal.ts";
import { sendJobs } from "./work-queue.ts";

export interface Lease extends Fence {
  plan: string;
}

const seconds = (ms: number) => ms / 1000;

/** Claim a workload a job announced; undefined when it is no longer queued (taken, cancelled). */
export async function claim(
  pool: Pool,
  runner: string,
  job: { runId: string; workload: string },
  ttlMs: number,
): Promise<Lease | undefined> {
  const { rows } = await pool.query<{ plan: string; generation: string }>(
    `UPDATE work SET state = 'running', runner = $3, generation = generation + 1,
       lease_until = now() + make_interval(secs => $4)
     WHERE run_id = $1 AND workload = $2 AND state = 'queued' RETURNING plan, generation`,
    [job.runId, job.workload, runner, seconds(ttlMs)],
  );
  const row = rows[0];
  return row && { ...job, runner, plan: row.plan, generation: Number(row.generation) };
}

/** Which workloads a runner serves: those of its hosts (all by default), of its zone if any. */
export interface Reach {
  hosts: readonly string[] | undefined;
  zone: string | undefined;
}

/** Take over a workload whose runner stopped renewing its lease, in this runner's reach. */
export async function takeOver(
  pool: Pool,
  runner: string,
  reach: Reach,
  ttlMs: number,
): Promise<Lease | undefined> {
  const { rows } = await pool.query<{ run_id: string; workload: string; plan: string; generation: string }>(
    `UPDATE work w SET runner = $1, generation = w.generation + 1,
       lease_until = now() + make_interval(secs => $2)
     FROM (SELECT run_id, workload FROM work
           WHERE state = 'running' AND lease_until < now() AND ($3::text[] IS NULL OR host = ANY($3))
             AND ($4::text IS NULL OR zone = $4) AND kind = 'apply'
           ORDER BY lease_until LIMIT 1 FOR UPDATE SKIP LOCKED) expired
     WHERE w.run_id = expired.run_id AND w.workload = expired.workload
     RETURNING w.run_id, w.workload, w.plan, w.generation`,
    [runner, seconds(ttlMs), reach.hosts ?? null, reach.zone ?? null],
  );
  const row = rows[0];
  return (
    row && {
      runId: row.run_id,
      workload: row.workload,
      plan: row.plan,
      runner,
      generation: Number(row.generation),
    }
  );
}

/** Extend the lease: "ok", "lost" (another generation holds it), or "cancel" (migrate cancel). */
export async function heartbeat(pool: Pool, lease: Lease, ttlMs: number): Promise<"ok" | "lost" | "cancel"> {
  const { rows } = await pool.query<{ cancel: boolean }>(
    `UPDATE work w SET lease_until = now() + make_interval(secs => $5)
     FROM runs r
     WHERE w.run_id = $1 AND w.workload = $2 AND w.runner = $3 AND w.generation = $4
       AND w.state = 'running' AND r.run_id = w.run_id
     RETURNING r.cancel`,
    [lease.runId, lease.workload, lease.runner, lease.generation, seconds(ttlMs)],
  );
  const row = rows[0];
  if (!row) return "lost";
  return row.cancel ? "cancel" : "ok";
}

/** The workload ended under this lease: record it on the row and let the run advance. */
export async function finish(
  pool: Pool,
  boss: PgBoss,
  lease: Lease,
  status: WorkloadStatus,
): Promise<boolean> {
  return inPlanTransaction(pool, boss, lease.plan, lease.runId, async (client) => {
    const result = await client.query(
      `UPDATE work SET state = 'done', status = $5, lease_until = NULL
       WHERE run_id = $1 AND workload = $2 AND runner = $3 AND generation = $4 AND state = 'running'`,
      [lease.runId, lease.workload, lease.runner, lease.generation, status],
    );
    return result.rowCount === 1;
  });
}

/** Hand the workload back (graceful stop): queued again, with a fresh job for another runner. */
export async function release(pool: Pool, boss: PgBoss, lease: Lease): Promise<void> {
  await inPlanTransaction(pool, boss, lease.plan, lease.runId, async (client) => {
    const { rows } = await client.query<{ host: string; zone: string }>(
      `UPDATE work SET state = 'queued', runner = NULL, lease_until = NULL
       WHERE run_id = $1 AND workload = $2 AND runner = $3 AND generation = $4 AND state = 'running'
       RETURNING host, zone`,
      [lease.runId, lease.workload, lease.runner, lease.generation],
    );
    const row = rows[0];
    if (row) {
      await sendJobs(boss, client, [
        { runId: lease.runId, plan: lease.plan, workload: lease.workload, host: row.host, zone: row.zone },
      ]);
    }
  });
}
