/**
 * The plan's bandwidth budget holds across runners: two runners (each its own connection pool)
 * drawing from the same plan's budget in the state database together get the budget, not
 * twice it; two plans have a budget each.
 */

import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SharedBudget } from "../../src/engine/state/shared-budget.ts";
import { freshStateDb, type TeamDb } from "./support/team.ts";

const skipReason = inject("e2eSkipReason");
const MIB = 1024 * 1024;
const RATE = 4 * MIB;

describe.skipIf(skipReason !== "")("the shared bandwidth budget", () => {
  let db: TeamDb;
  let other: pg.Pool;
  beforeAll(async () => {
    db = freshStateDb();
    // The schema (with the budgets table) as any migrate command leaves it.
    const { openStateDb } = await import("../../src/engine/state/state-db.ts");
    const url = new URL(db.url);
    url.password = db.password;
    await (await openStateDb({ display: db.url, connectionString: url.toString() })).close();
    other = new pg.Pool({ connectionString: url.toString(), max: 2 });
  });
  afterAll(async () => {
    await other?.end();
    await db?.close();
  });

  const drain = async (budget: SharedBudget, bytes: number) => {
    for (let sent = 0; sent < bytes; sent += 256 * 1024) await budget.take(256 * 1024);
  };

  it("gives two runners of one plan the plan's rate together", async () => {
    const a = new SharedBudget(db.pool, "plan-a", RATE);
    const b = new SharedBudget(other, "plan-a", RATE);
    const started = performance.now();
    await Promise.all([drain(a, 8 * MIB), drain(b, 8 * MIB)]);
    const seconds = (performance.now() - started) / 1000;
    // 16 MiB at 4 MiB/s is 4 s, less at most one second of burst; one budget each would be ~1 s.
    expect(seconds).toBeGreaterThan(2.9);
    expect(seconds).toBeLessThan(6);
  });

  it("keeps one plan's budget apart from another's", async () => {
    const a = new SharedBudget(db.pool, "plan-b", RATE);
    const b = new SharedBudget(other, "plan-c", RATE);
    const started = performance.now();
    await Promise.all([drain(a, 8 * MIB), drain(b, 8 * MIB)]);
    const seconds = (performance.now() - started) / 1000;
    // Each plan: 8 MiB at 4 MiB/s less the burst, side by side (one shared budget: at least 3 s).
    expect(seconds).toBeGreaterThan(0.9);
    expect(seconds).toBeLessThan(2.5);
  });
});
