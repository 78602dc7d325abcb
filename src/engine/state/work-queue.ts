/**
 * Handing out work with pg-boss: one queue per source host (`migrate.host.<host>`), so a runner
 * polls only the queues of the server rooms it can reach. A job only says "this workload of this
 * run is ready"; who holds it, and with which fencing generation, is the `work` row's lease.
 * Jobs are sent inside the transaction that marks the row queued, so a job and its row never
 * disagree.
 */

import type { PoolClient } from "pg";
import PgBoss from "pg-boss";
import type { StateDb } from "./state-db.ts";

export const QUEUE_PREFIX = "migrate.host.";

export interface WorkJob {
  runId: string;
  plan: string;
  workload: string;
}

export function queueOf(host: string): string {
  return `${QUEUE_PREFIX}${host.replaceAll(/[^\w.-]/g, "_")}`;
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

export async function ensureQueues(boss: PgBoss, hosts: Iterable<string>): Promise<void> {
  for (const host of new Set(hosts)) {
    const name = queueOf(host);
    if (!(await boss.getQueue(name))) await boss.createQueue(name, { name, retryLimit: 0 });
  }
}

/** Send jobs in the caller's transaction. */
export async function sendJobs(
  boss: PgBoss,
  client: PoolClient,
  jobs: readonly (WorkJob & { host: string })[],
): Promise<void> {
  const db = { executeSql: (text: string, values: unknown[]) => client.query(text, values) };
  for (const { host, ...job } of jobs) {
    await boss.send(queueOf(host), job, { db, retryLimit: 0, expireInHours: 23 });
  }
}
