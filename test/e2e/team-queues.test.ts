/**
 * Two desks starting `apply --state` at the same moment both create the plan's pg-boss queues.
 * pg-boss creates a queue as a partition with a foreign key, and two processes doing that for the
 * same queues at once deadlocked in PostgreSQL (seen in CI as an internal error instead of the
 * second operator's exit 5). Here four desks create the same twenty queues together, three times.
 */
import { afterEach, describe, expect, inject, it } from "vitest";
import { openStateDb } from "../../src/engine/state/state-db.ts";
import type { StateUrl } from "../../src/engine/state/state-url.ts";
import { ensureQueues, queueOf, startQueue } from "../../src/engine/state/work-queue.ts";
import { freshStateDb, type TeamDb } from "./support/team.ts";

const skipReason = inject("e2eSkipReason");

function stateUrl(db: TeamDb): StateUrl {
  const url = new URL(db.url);
  url.password = db.password;
  return { display: db.url, connectionString: url.toString() };
}

describe.skipIf(skipReason !== "")("queues created by several desks at once", () => {
  let db: TeamDb | undefined;
  afterEach(async () => {
    await db?.close();
  });

  it("creates every queue once and never deadlocks", async () => {
    db = freshStateDb();
    const keys = Array.from({ length: 20 }, (_, i) => ({ host: `host-${i}`, zone: i % 2 ? "dmz" : "" }));
    for (let round = 0; round < 3; round++) {
      const roundKeys = keys.map((key) => ({ ...key, host: `${key.host}-r${round}` }));
      const desks = await Promise.all(
        Array.from({ length: 4 }, async () => {
          const state = await openStateDb(stateUrl(db!));
          return { state, boss: await startQueue(state) };
        }),
      );
      try {
        await Promise.all(desks.map(({ state, boss }) => ensureQueues(state.pool, boss, roundKeys)));
      } finally {
        await Promise.all(
          desks.map(async ({ state, boss }) => {
            await boss.stop({ graceful: false, wait: true });
            await state.close();
          }),
        );
      }
      const { rows } = await db.pool.query<{ name: string }>(
        "SELECT name FROM migrate_queue.queue WHERE name LIKE $1 ORDER BY name",
        [`%-r${round}@%`],
      );
      expect(rows.map((row) => row.name)).toEqual(roundKeys.map(queueOf).sort());
    }
  });
});
