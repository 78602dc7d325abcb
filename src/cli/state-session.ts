/**
 * The shared state for one command: the database (schema migrated on open) and, for commands
 * that hand out or take work, the pg-boss queue. Closed whatever the command's body does.
 */
import type PgBoss from "pg-boss";
import { openStateDb, type StateDb } from "../engine/state/state-db.ts";
import type { StateUrl } from "../engine/state/state-url.ts";
import { startQueue } from "../engine/state/work-queue.ts";

export async function withStateDb<T>(
  url: StateUrl,
  body: (db: StateDb, queue: () => Promise<PgBoss>) => Promise<T>,
): Promise<T> {
  const db = await openStateDb(url);
  let boss: PgBoss | undefined;
  try {
    return await body(db, async () => {
      boss ??= await startQueue(db);
      return boss;
    });
  } finally {
    await boss?.stop({ graceful: false, wait: true }).catch(() => undefined);
    await db.close();
  }
}
