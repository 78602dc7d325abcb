/**
 * The replica's named connection on the target (MariaDB multi-source): configured, started,
 * watched and removed by name, with a per-connection replicate_do_db, so other replication on
 * the target and other databases in the source's binlog are never touched.
 */
import { RemoteError } from "../../../errors.ts";
import type { Database } from "../../../plan/schema.ts";
import type { Remote } from "../../../remote/types.ts";
import { sqlExec, sqlIdent, sqlRecords, sqlString } from "./mysql-client.ts";
import type { BinlogPosition } from "./mysql-position.ts";
import type { SourceEndpoint } from "./types.ts";

export type SlaveStatus = Record<string, string>;

/** The connection's row of SHOW ALL SLAVES STATUS, or undefined when it does not exist. */
export async function slaveStatus(
  target: Remote,
  db: Database,
  connection: string,
  signal: AbortSignal,
): Promise<SlaveStatus | undefined> {
  const rows = await sqlRecords(target, db, "SHOW ALL SLAVES STATUS;", {
    signal,
    what: `reading the replica status of ${db.name}`,
  });
  return rows.find((row) => row.Connection_name === connection);
}

/** Where the connection's SQL thread has applied up to, in the source's binlog. */
export function appliedPosition(status: SlaveStatus): BinlogPosition {
  return { file: status.Relay_Master_Log_File ?? "", pos: Number(status.Exec_Master_Log_Pos ?? 0) };
}

export interface ConnectionSettings {
  name: string;
  endpoint: SourceEndpoint;
  user: string;
  password: string;
  /** Where to start reading the source's binlog. */
  from: BinlogPosition;
}

/**
 * (Re)points the connection and starts it. MASTER_HOST resets a connection's coordinates even
 * when unchanged, so the position is always given: the seed's, or on resume where it stopped.
 */
export async function startConnection(
  target: Remote,
  db: Database,
  settings: ConnectionSettings,
  exists: boolean,
  signal: AbortSignal,
): Promise<void> {
  const name = sqlString(settings.name);
  const sql = [
    exists ? `STOP SLAVE ${name};` : "",
    `CHANGE MASTER ${name} TO MASTER_HOST = ${sqlString(settings.endpoint.host)}, MASTER_PORT = ${settings.endpoint.port},`,
    `  MASTER_USER = ${sqlString(settings.user)}, MASTER_PASSWORD = ${sqlString(settings.password)},`,
    `  MASTER_LOG_FILE = ${sqlString(settings.from.file)}, MASTER_LOG_POS = ${settings.from.pos},`,
    "  MASTER_USE_GTID = no, MASTER_CONNECT_RETRY = 5;",
    `SET GLOBAL ${sqlIdent(settings.name)}.replicate_do_db = ${sqlString(db.name)};`,
    `START SLAVE ${name};`,
  ].join("\n");
  await sqlExec(target, db, sql, { signal, what: `starting replication of ${db.name} on the target` });
}

/** Stops the connection's threads; its applied position then holds still. */
export async function stopConnection(target: Remote, db: Database, connection: string, signal: AbortSignal) {
  await sqlExec(target, db, `STOP SLAVE ${sqlString(connection)};`, {
    signal,
    what: `stopping the replica connection of ${db.name}`,
  });
}

/** Stops the connection and forgets it (RESET SLAVE ... ALL); nothing when it does not exist. */
export async function removeConnection(
  target: Remote,
  db: Database,
  connection: string,
  signal: AbortSignal,
) {
  if ((await slaveStatus(target, db, connection, signal)) === undefined) return;
  const name = sqlString(connection);
  await sqlExec(target, db, `STOP SLAVE ${name};\nRESET SLAVE ${name} ALL;`, {
    signal,
    what: `removing the replica connection of ${db.name}`,
  });
}

function failure(target: Remote, db: Database, message: string, hint: string): RemoteError {
  return new RemoteError(
    "remote",
    `replication of ${db.name} on ${target.host}: ${message}`,
    { host: target.host, command: "SHOW ALL SLAVES STATUS", exitCode: 0 },
    { hint },
  );
}

/** The applier's error, when it stopped; the connection's own words, which never hold the password. */
export function stoppedError(target: Remote, db: Database, status: SlaveStatus): RemoteError | undefined {
  if (status.Slave_SQL_Running === "Yes") return undefined;
  const why = status.Last_SQL_Error || "the applier is not running";
  return failure(target, db, why, "see SHOW ALL SLAVES STATUS on the target; a resumed run starts it again");
}

/**
 * Resolves once both threads run; rejects with the connection's error when it cannot connect
 * within two of its retries (MASTER_CONNECT_RETRY = 5 s), the time a tunnel may need to open.
 */
export async function awaitRunning(
  target: Remote,
  db: Database,
  connection: string,
  signal: AbortSignal,
  timeoutMs = 12_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const status = await slaveStatus(target, db, connection, signal);
    if (status === undefined) throw failure(target, db, "the replica connection vanished", "start it again");
    const stopped = stoppedError(target, db, status);
    if (stopped) throw stopped;
    if (status.Slave_IO_Running === "Yes") return;
    if (Date.now() > until) {
      const why =
        status.Last_IO_Error || `the connection to the source stays ${status.Slave_IO_State || "down"}`;
      throw failure(
        target,
        db,
        why,
        "check that the tunnel's local end answers on the target and the replication account exists on the source",
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
    signal.throwIfAborted();
  }
}
