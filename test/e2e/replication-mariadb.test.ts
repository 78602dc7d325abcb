/**
 * Issue 12, MariaDB: the binlog replication engine on real servers (lic-src → tgt-3). The
 * target is seeded under a steady write load, follows it, and after the freeze (read_only plus
 * the application's sessions killed) catches up to the source's position; every table then has
 * the same rows and checksum on both sides, and teardown leaves no connection or account.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { hostExec, startMariadbLoad } from "../../fixtures/fleet/index.ts";
import { LOAD_PASSWORD, LOAD_USER } from "../../fixtures/fleet/mariadb-config.ts";
import type { SshPool } from "../../src/remote/pool.ts";
import { mysqlReplication } from "../../src/steps/db/replication/mysql.ts";
import type { ReplicationContext, ReplicationState } from "../../src/steps/db/replication/types.ts";
import {
  contents,
  contextFor,
  leftovers,
  openPool,
  query,
  SOURCE,
  TARGET,
} from "./support/mariadb-replication.ts";
import { resetFleet } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");

/** An enabled event the target must not run before the cutover (it never fires: 2035). */
const EVENT_SQL =
  "CREATE EVENT nightly_expiry ON SCHEDULE EVERY 1 DAY STARTS '2035-01-01 02:00:00' DO BEGIN DELETE FROM licenses WHERE valid_until < '2000-01-01'; UPDATE holders SET district = district WHERE id = 0; END";

/** One write as the licensing application's own account (no SUPER), as its code would make it. */
async function appWrite(): Promise<{ code: number; stderr: string }> {
  return hostExec(SOURCE, `MYSQL_PWD='${LOAD_PASSWORD}' mysql --no-defaults -u ${LOAD_USER} licensing`, {
    input: "UPDATE holders SET district = district WHERE id = 1;",
  });
}

async function eventStatus(host: string): Promise<string[][]> {
  return query(
    host,
    "SELECT event_name, status FROM information_schema.events WHERE event_schema = 'licensing';",
  );
}

describe.skipIf(skipReason !== "")("MariaDB binlog replication engine", () => {
  let pool: SshPool;
  let ctx: ReplicationContext;
  const commands: string[] = [];
  const controller = new AbortController();

  beforeAll(async () => {
    await resetFleet();
    await query(SOURCE, `DELIMITER //\n${EVENT_SQL} //\n`, "licensing");
    pool = await openPool(commands);
    ctx = contextFor(pool, controller.signal);
  });

  afterAll(async () => {
    if (ctx) await mysqlReplication.thaw(ctx);
    await pool?.close();
    await resetFleet();
  });

  it("replicates under a write load and catches up after the freeze with equal tables", async () => {
    const load = await startMariadbLoad(SOURCE, "licensing", { roundsPerSecond: 300 });
    // As the engine runs it: the move's names journaled first, then start() with them.
    const initial = mysqlReplication.initialState("0a1b2c3d4e");
    const state = await mysqlReplication.start(ctx, initial);
    expect(state).toMatchObject({ engine: "mysql", seededAt: expect.stringMatching(/^mysql-bin\.\d+:\d+$/) });
    expect(state.objects).toMatchObject({
      user: "migrate_repl_0a1b2c3d4e",
      connection: "migrate_0a1b2c3d4e",
    });
    // The event exists on the replica but stays off until the cutover.
    expect(await eventStatus(TARGET)).toEqual([["nightly_expiry", "SLAVESIDE_DISABLED"]]);

    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const lag = await mysqlReplication.lag(ctx, state);
    expect(lag.bytes).toBeGreaterThanOrEqual(0);
    expect(lag.seconds).not.toBeNull();

    // A session holding a transaction open across the freeze is ended, its change rolled back.
    const held = hostExec(
      SOURCE,
      `MYSQL_PWD='${LOAD_PASSWORD}' mysql --no-defaults -u ${LOAD_USER} licensing`,
      {
        input: "BEGIN; UPDATE holders SET name = 'held across the freeze' WHERE id = 2; SELECT SLEEP(60);",
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const frozeAt = performance.now();
    await mysqlReplication.freeze(ctx);
    await mysqlReplication.freeze(ctx);
    expect((await held).code).not.toBe(0);
    expect(performance.now() - frozeAt).toBeLessThan(30_000);
    expect(await query(SOURCE, "SELECT name FROM holders WHERE id = 2;", "licensing")).not.toEqual([
      ["held across the freeze"],
    ]);
    const { rounds } = await load.stop();
    expect(rounds).toBeGreaterThan(100);
    const refused = await appWrite();
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/read-only/);
    const position = await mysqlReplication.sourcePosition(ctx);
    expect(position).not.toBe(state.seededAt);
    await mysqlReplication.waitApplied(ctx, state, position, 60_000);
    expect(await mysqlReplication.lag(ctx, state)).toMatchObject({ bytes: 0 });
    await mysqlReplication.finishCutover(ctx, state);

    const [source, target] = await Promise.all([
      contents(SOURCE, "licensing"),
      contents(TARGET, "licensing"),
    ]);
    expect(Object.keys(source)).toEqual(["audit log", "holders", "licenses"]);
    expect(target).toEqual(source);
    expect(await eventStatus(TARGET)).toEqual([["nightly_expiry", "ENABLED"]]);
    // The replica applied row events, so the AUTO_INCREMENT counter followed the source's.
    const nextId =
      "SELECT auto_increment FROM information_schema.tables WHERE table_schema = 'licensing' AND table_name = 'audit log';";
    expect(await query(TARGET, nextId)).toEqual(await query(SOURCE, nextId));

    // The account was created unlogged: it never reached the target through replication.
    // Limited to the source host's own addresses (where the tunnel's far end connects from).
    const accounts = (await leftovers()).accounts;
    expect(accounts).toContain(`migrate_repl_0a1b2c3d4e@127.0.0.1 on ${SOURCE}`);
    expect(
      accounts.filter((a) => !a.startsWith("migrate_repl_0a1b2c3d4e@") || !a.endsWith(` on ${SOURCE}`)),
    ).toEqual([]);
    expect(accounts.filter((a) => a.includes("%"))).toEqual([]);
    await mysqlReplication.teardown(ctx, state);
    expect(await leftovers()).toEqual({ connections: [], accounts: [] });
    await mysqlReplication.teardown(ctx, state);
    expect(await leftovers()).toEqual({ connections: [], accounts: [] });
    // The password went to both servers on stdin only: no command line carried it.
    expect(commands.length).toBeGreaterThan(10);
    expect(commands.filter((command) => command.includes("s3cret"))).toEqual([]);
    // Rollback's thaw puts the source back in service for the application.
    await mysqlReplication.thaw(ctx);
    expect(await appWrite()).toMatchObject({ code: 0 });
  });

  it("tears down safely when nothing was ever created", async () => {
    const state: ReplicationState = { engine: "mysql", objects: {} };
    await mysqlReplication.teardown(ctx, state);
    expect(await leftovers()).toEqual({ connections: [], accounts: [] });
  });

  it("resumes after a crash: continues the recorded replica, or seeds anew when none was recorded", async () => {
    await mysqlReplication.thaw(ctx);
    const load = await startMariadbLoad(SOURCE, "licensing", { roundsPerSecond: 300 });
    // A crash before the state was journaled: the connection exists but start() knows nothing of it.
    await mysqlReplication.start(ctx);
    const state = await mysqlReplication.start(ctx);
    const created =
      "SELECT create_time FROM information_schema.tables WHERE table_schema = 'licensing' AND table_name = 'holders';";
    const seededTable = await query(TARGET, created);

    // A crash during catch-up: the orchestrator is gone, the replica's applier stopped with it
    // (the target restarted, say), and the resumed run gets a new per-move password.
    await query(TARGET, "STOP SLAVE 'migrate_licensing';");
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const resumedCtx = { ...ctx, password: "a second secret" };
    const resumed = await mysqlReplication.start(resumedCtx, state);
    expect(resumed.seededAt).toBe(state.seededAt);
    expect(await query(TARGET, created)).toEqual(seededTable);

    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await mysqlReplication.freeze(ctx);
    await load.stop();
    const position = await mysqlReplication.sourcePosition(resumedCtx);
    await mysqlReplication.waitApplied(resumedCtx, resumed, position, 60_000);
    await mysqlReplication.finishCutover(resumedCtx, resumed);
    expect(await contents(TARGET, "licensing")).toEqual(await contents(SOURCE, "licensing"));
    await mysqlReplication.teardown(resumedCtx, resumed);
    expect(await leftovers()).toEqual({ connections: [], accounts: [] });
  });

  it("says why when the target cannot reach the source, and leaves nothing once torn down", async () => {
    await mysqlReplication.thaw(ctx);
    const unreachable = { ...ctx, endpoint: { ...ctx.endpoint, port: 1 } };
    await expect(mysqlReplication.start(unreachable)).rejects.toThrow(
      /replication of licensing on tgt-3: .*connect/i,
    );
    await mysqlReplication.teardown(unreachable, { engine: "mysql", objects: {} });
    expect(await leftovers()).toEqual({ connections: [], accounts: [] });
  });
});
