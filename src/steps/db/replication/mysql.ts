/**
 * MariaDB binlog replication for one database: a replication account on the source limited to
 * the tunnel's origin, a replica seeded from a consistent dump at its binlog coordinates, one
 * named connection on the target applying the source's row events until the cutover, and
 * teardown that leaves neither the connection nor the account behind.
 */
import { RemoteError } from "../../../errors.ts";
import type { Database } from "../../../plan/schema.ts";
import { sh } from "../../../remote/shell.ts";
import type { Remote } from "../../../remote/types.ts";
import { sqlExec, sqlRecords, sqlRows, sqlString } from "./mysql-client.ts";
import { copyEventsDisabled, enableEvents } from "./mysql-events.ts";
import { freezeSource, thawSource } from "./mysql-freeze.ts";
import { connectionName, replicationUser } from "./mysql-names.ts";
import { bytesBetween, formatPosition, parsePosition } from "./mysql-position.ts";
import { mysqlPreflight } from "./mysql-preflight.ts";
import {
  appliedPosition,
  awaitRunning,
  removeConnection,
  slaveStatus,
  startConnection,
  stopConnection,
  stoppedError,
} from "./mysql-replica.ts";
import { seedReplica } from "./mysql-seed.ts";
import type { ReplicationContext, ReplicationEngine, ReplicationState } from "./types.ts";

/**
 * The addresses the tunnel's far end may connect from: it runs on the source host (its sshd)
 * and dials the server at one of the host's own addresses, so the kernel gives the connection
 * that same address, or 127.0.0.1 for any 127.x one. The account gets exactly the host's own
 * addresses (`hostname -I`), loopback and the server's listening address: only a connection
 * made on the source host itself can use it.
 */
async function tunnelOrigins(ctx: ReplicationContext): Promise<string[]> {
  const [[bind = ""] = []] = await sqlRows(ctx.source, ctx.db, "SELECT @@bind_address;", {
    signal: ctx.signal,
    what: `reading the listening address of ${ctx.db.name}'s server`,
  });
  const own = await ctx.source.run(sh`hostname -I`, { signal: ctx.signal, timeoutMs: 30_000 });
  const listed = [...bind.split(","), ...(own.exitCode === 0 ? own.stdout.split(/\s+/) : [])];
  const specific = listed
    .map((address) => address.trim())
    .filter((address) => /^[0-9a-fA-F.:]+$/.test(address) && !/^(127\.|0\.0\.0\.0$|::$)/.test(address));
  return [...new Set(["127.0.0.1", ...specific])];
}

function account(user: string, host: string): string {
  return `${sqlString(user)}@${sqlString(host)}`;
}

/** Not binlogged (sql_log_bin = 0): the account must never reach a replica, the target included. */
async function createAccount(ctx: ReplicationContext, user: string, hosts: string[]): Promise<void> {
  const sql = [
    "SET SESSION sql_log_bin = 0;",
    ...hosts.flatMap((host) => {
      const who = account(user, host);
      return [
        `CREATE USER IF NOT EXISTS ${who} IDENTIFIED BY ${sqlString(ctx.password)};`,
        `ALTER USER ${who} IDENTIFIED BY ${sqlString(ctx.password)};`,
        `GRANT REPLICATION SLAVE ON *.* TO ${who};`,
      ];
    }),
  ].join("\n");
  await sqlExec(ctx.source, ctx.db, sql, {
    signal: ctx.signal,
    what: `creating the replication account for ${ctx.db.name}`,
  });
}

/** Drops every host of the move's account and ends its sessions (a dump thread outlives DROP USER). */
async function dropAccount(source: Remote, db: Database, user: string, signal: AbortSignal): Promise<void> {
  const what = `dropping the replication account of ${db.name}`;
  const hosts = await sqlRows(source, db, `SELECT host FROM mysql.user WHERE user = ${sqlString(user)};`, {
    signal,
    what,
  });
  if (hosts.length === 0) return;
  const sql = [
    "SET SESSION sql_log_bin = 0;",
    ...hosts.map(([host = ""]) => `KILL CONNECTION USER ${account(user, host)};`),
    ...hosts.map(([host = ""]) => `DROP USER IF EXISTS ${account(user, host)};`),
  ].join("\n");
  await sqlExec(source, db, sql, { signal, what });
}

async function masterPosition(ctx: ReplicationContext) {
  const [status] = await sqlRecords(ctx.source, ctx.db, "SHOW MASTER STATUS;", {
    signal: ctx.signal,
    what: `reading the binlog position of ${ctx.db.name}'s server`,
  });
  if (!status?.File) {
    throw new RemoteError(
      "remote",
      `the server of ${ctx.db.name} on ${ctx.source.host} writes no binary log`,
      { host: ctx.source.host, command: "SHOW MASTER STATUS", exitCode: 0 },
      { hint: "turn log_bin on at the source (preflight reports it), or use mode: dump" },
    );
  }
  return { file: status.File, pos: Number(status.Position) };
}

function names(ctx: ReplicationContext, state?: ReplicationState) {
  return {
    user: state?.objects.user ?? replicationUser(ctx.db),
    connection: state?.objects.connection ?? connectionName(ctx.db),
  };
}

async function start(ctx: ReplicationContext, previous?: ReplicationState): Promise<ReplicationState> {
  const { user, connection } = names(ctx, previous);
  const hosts = await tunnelOrigins(ctx);
  await createAccount(ctx, user, hosts);
  const objects = { user, userHosts: hosts.join(","), connection, database: ctx.db.name };
  const existing = await slaveStatus(ctx.target, ctx.db, connection, ctx.signal);
  const settings = { name: connection, endpoint: ctx.endpoint, user, password: ctx.password };
  if (previous?.seededAt !== undefined && existing !== undefined) {
    // A resumed move: the replica keeps its data and continues where its applier stopped. It is
    // stopped before its position is read: a running applier moves on meanwhile, and starting
    // again from a stale position re-applies rows (a duplicate key stops the replica).
    await stopConnection(ctx.target, ctx.db, connection, ctx.signal);
    const stopped = (await slaveStatus(ctx.target, ctx.db, connection, ctx.signal)) ?? existing;
    await startConnection(
      ctx.target,
      ctx.db,
      { ...settings, from: appliedPosition(stopped) },
      true,
      ctx.signal,
    );
    await awaitRunning(ctx.target, ctx.db, connection, ctx.signal);
    return { engine: "mysql", objects, seededAt: previous.seededAt };
  }
  // Nothing to continue from (a first start, or a crash before the seed was recorded): seed anew.
  await removeConnection(ctx.target, ctx.db, connection, ctx.signal);
  const from = await seedReplica(ctx.source, ctx.target, ctx.db, ctx.signal);
  await copyEventsDisabled(ctx.source, ctx.target, ctx.db, ctx.signal);
  await startConnection(ctx.target, ctx.db, { ...settings, from }, false, ctx.signal);
  await awaitRunning(ctx.target, ctx.db, connection, ctx.signal);
  return { engine: "mysql", objects, seededAt: formatPosition(from) };
}

async function requiredStatus(ctx: ReplicationContext, state: ReplicationState) {
  const { connection } = names(ctx, state);
  const status = await slaveStatus(ctx.target, ctx.db, connection, ctx.signal);
  if (status === undefined) {
    throw new RemoteError(
      "remote",
      `replication of ${ctx.db.name}: the target has no replica connection ${connection}`,
      { host: ctx.target.host, command: "SHOW ALL SLAVES STATUS", exitCode: 0 },
      { hint: "start replication again (a resumed run does), or use mode: dump" },
    );
  }
  return status;
}

export const mysqlReplication: ReplicationEngine = {
  preflight: mysqlPreflight,

  // The move's id (10 hex digits) keeps the account within MySQL's 32 characters.
  initialState(id) {
    return { engine: "mysql", objects: { user: `migrate_repl_${id}`, connection: `migrate_${id}` } };
  },

  start,
  freeze: freezeSource,
  thaw: thawSource,

  async lag(ctx, state) {
    const [status, master, logs] = await Promise.all([
      requiredStatus(ctx, state),
      masterPosition(ctx),
      sqlRecords(ctx.source, ctx.db, "SHOW BINARY LOGS;", {
        signal: ctx.signal,
        what: "listing the binary logs",
      }),
    ]);
    const sizes = logs.map((log) => ({ name: log.Log_name ?? "", size: Number(log.File_size ?? 0) }));
    const behind = status.Seconds_Behind_Master;
    return {
      bytes: bytesBetween(appliedPosition(status), master, sizes),
      seconds: behind === undefined || behind === "NULL" || behind === "" ? null : Number(behind),
    };
  },

  async sourcePosition(ctx) {
    return formatPosition(await masterPosition(ctx));
  },

  async waitApplied(ctx, state, position, deadlineMs) {
    const { connection } = names(ctx, state);
    const target = parsePosition(position);
    const until = Date.now() + deadlineMs;
    for (;;) {
      // MASTER_POS_WAIT blocks on the server until the connection's applier passes the position
      // (>= 0), its timeout ends (-1) or the applier is not running (NULL).
      const seconds = Math.max(1, Math.min(5, Math.ceil((until - Date.now()) / 1000)));
      const [[waited = "NULL"] = []] = await sqlRows(
        ctx.target,
        ctx.db,
        `SELECT MASTER_POS_WAIT(${sqlString(target.file)}, ${target.pos}, ${seconds}, ${sqlString(connection)});`,
        {
          signal: ctx.signal,
          timeoutMs: seconds * 1000 + 60_000,
          what: `waiting for the replica of ${ctx.db.name}`,
        },
      );
      if (waited !== "NULL" && Number(waited) >= 0) return;
      if (waited === "NULL") {
        const status = await requiredStatus(ctx, state);
        const stopped = stoppedError(ctx.target, ctx.db, status);
        if (stopped) throw stopped;
      }
      if (Date.now() >= until) {
        const lag = await mysqlReplication.lag(ctx, state);
        throw new RemoteError(
          "timeout",
          `replication of ${ctx.db.name}: the target has not applied up to ${position} within ${Math.round(deadlineMs / 1000)} s (${lag.bytes} bytes behind)`,
          { host: ctx.target.host, command: "MASTER_POS_WAIT", exitCode: 0 },
          {
            hint: "the source stays read-only; resume to keep waiting, or roll back to put traffic back on the source",
          },
        );
      }
    }
  },

  async finishCutover(ctx, state) {
    const { connection } = names(ctx, state);
    await requiredStatus(ctx, state);
    await sqlExec(ctx.target, ctx.db, `STOP SLAVE ${sqlString(connection)};`, {
      signal: ctx.signal,
      what: `stopping replication of ${ctx.db.name}`,
    });
    await enableEvents(ctx.source, ctx.target, ctx.db, ctx.signal);
  },

  async present(ctx, state) {
    const { user, connection } = names(ctx, state);
    const [status, hosts] = await Promise.all([
      slaveStatus(ctx.target, ctx.db, connection, ctx.signal),
      sqlRows(ctx.source, ctx.db, `SELECT host FROM mysql.user WHERE user = ${sqlString(user)};`, {
        signal: ctx.signal,
        what: `looking for the replication account of ${ctx.db.name}`,
      }),
    ]);
    return [
      ...(status ? [`replica connection ${connection}`] : []),
      ...(hosts.length > 0 ? [`user ${user}`] : []),
    ];
  },

  async teardown(ctx, state) {
    const { user, connection } = names(ctx, state);
    await removeConnection(ctx.target, ctx.db, connection, ctx.signal);
    await dropAccount(ctx.source, ctx.db, user, ctx.signal);
  },
};
