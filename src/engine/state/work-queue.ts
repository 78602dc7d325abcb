/**
 * Handing out work with pg-boss: one queue per source host and network zone
 * (`migrate.host.<host>@<zone>`), so a runner polls only the queues of the server rooms (and the
 * zone) it can reach. A job only says "this workload of this
 * run is ready"; who holds it, and with which fencing generation, is the `work` row's lease.
 * Jobs are sent inside the transaction that marks the row queued, so a job and its row never
 * disagree.
 */

import type { Pool, PoolClient } from "pg";
import PgBoss from "pg-boss";
import type { StateDb } from "./state-db.ts";

export const QUEUE_PREFIX = "migrate.host.";

export interface WorkJob {
  runId: string;
  plan: string;
  workload: string;
}

/** Where a workload's jobs go: `{ host, zone }` of its work row. */
export interface QueueKey {
  host: string;
  zone: string;
}

export function queueOf(key: QueueKey): string {
  return `${QUEUE_PREFIX}${key.host.replaceAll(/[^\w.-]/g, "_")}@${key.zone}`;
}

/** The queues a runner serves among those that exist: its hosts (all by default), its zone if any. */
export function servedQueues(
  names: readonly string[],
  hosts: readonly string[] | undefined,
  zone: string | undefined,
): string[] {
  const hostPrefixes = hosts?.map((host) => queueOf({ host, zone: "" }));
  return names.filter((name) => {
    if (!name.startsWith(QUEUE_PREFIX)) return false;
    if (hostPrefixes && !hostPrefixes.some((prefix) => name.startsWith(prefix))) return false;
    return zone === undefined || name.endsWith(`@${zone}`);
  });
}

export async function startQueue(db: StateDb): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: db.url.connectionString,
    schema: "migrate_queue",
    max: 3,
    // Expiry and retries are the `work` lease's job; pg-boss only delivers.
    supervise: false,
    schedule: false,
  });
  boss.on("error", () => undefined);
  await boss.start();
  return boss;
}

/**
 * Create the queues that do not exist yet. pg-boss creates a queue as a partition of its job
 * table with a foreign key to its queue table, and two processes creating the same queue at once
 * deadlock in PostgreSQL (two operators starting `apply` together did); a session advisory lock,
 * held on our own connection, makes them take turns.
 */
export async function ensureQueues(pool: Pool, boss: PgBoss, keys: Iterable<QueueKey>): Promise<void> {
  const names = new Set([...keys].map(queueOf));
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock(hashtext('migrate-queues'))");
    try {
      for (const name of names) {
        if (!(await boss.getQueue(name))) await boss.createQueue(name, { name, retryLimit: 0 });
      }
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtext('migrate-queues'))");
    }
  } finally {
    client.release();
  }
}

/** Send jobs in the caller's transaction. */
export async function sendJobs(
  boss: PgBoss,
  client: PoolClient,
  jobs: readonly (WorkJob & QueueKey)[],
): Promise<void> {
  const db = { executeSql: (text: string, values: unknown[]) => client.query(text, values) };
  for (const { host, zone, ...job } of jobs) {
    await boss.send(queueOf({ host, zone }), job, { db, retryLimit: 0, expireInHours: 23 });
  }
}
