/**
 * The replica's starting copy: one mysqldump --single-transaction on the source (a consistent
 * InnoDB snapshot, writers never blocked) streamed through the orchestrator into the target's
 * mysql client. --master-data=2 writes the snapshot's binlog coordinates as a comment at the top
 * of the dump; they are read as the stream passes, so replication starts exactly where the copy
 * ends. Events are left out of the dump and created apart, disabled (mysql-events.ts).
 */
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { RemoteError } from "../../../errors.ts";
import type { Database } from "../../../plan/schema.ts";
import { checkResult } from "../../../remote/check-result.ts";
import { databaseDeadlineMs, STALL_MS } from "../../../remote/deadline.ts";
import { sh } from "../../../remote/shell.ts";
import type { Remote } from "../../../remote/types.ts";
import { databaseSize } from "../engines.ts";
import { connection } from "../mysql.ts";
import { withDatabasePassword } from "../password.ts";
import { sqlExec, sqlIdent, sqlRows, sqlString } from "./mysql-client.ts";
import type { BinlogPosition } from "./mysql-position.ts";

/** The coordinates comment sits in the dump's first lines; nothing past this is searched. */
const HEADER_BYTES = 64 * 1024;
const COORDINATES = /^-- CHANGE MASTER TO MASTER_LOG_FILE='([^']+)', MASTER_LOG_POS=(\d+);/m;

/** Passes the dump through unchanged and remembers the coordinates written in its header. */
class CoordinatesReader extends Transform {
  position: BinlogPosition | undefined;
  private head = "";

  override _transform(
    chunk: Buffer,
    _encoding: BufferEncoding,
    done: (error: null, chunk: Buffer) => void,
  ): void {
    if (this.position === undefined && this.head.length < HEADER_BYTES) {
      this.head += chunk.toString("latin1");
      const match = COORDINATES.exec(this.head);
      if (match) this.position = { file: match[1] as string, pos: Number(match[2]) };
    }
    done(null, chunk);
  }
}

function dumpCommand(db: Database) {
  return sh`mysqldump${connection(db)} --single-transaction --master-data=2 --gtid --routines --triggers --skip-events ${db.name}`;
}

/** The target's database with the source's default character set, created when missing. */
async function createDatabase(
  source: Remote,
  target: Remote,
  db: Database,
  signal: AbortSignal,
): Promise<void> {
  const [row] = await sqlRows(
    source,
    db,
    `SELECT default_character_set_name, default_collation_name FROM information_schema.schemata WHERE schema_name = ${sqlString(db.name)};`,
    { signal, what: `reading the character set of ${db.name}` },
  );
  const charset = row ? ` CHARACTER SET ${sqlString(row[0] ?? "")} COLLATE ${sqlString(row[1] ?? "")}` : "";
  await sqlExec(target, db, `CREATE DATABASE IF NOT EXISTS ${sqlIdent(db.name)}${charset};`, {
    signal,
    what: `creating ${db.name} on the target`,
  });
}

/** Copies the database to the target and returns the binlog position the copy is consistent with. */
export async function seedReplica(
  source: Remote,
  target: Remote,
  db: Database,
  signal: AbortSignal,
): Promise<BinlogPosition> {
  await createDatabase(source, target, db, signal);
  const size = await databaseSize(source, db, signal);
  const timing = { signal, timeoutMs: databaseDeadlineMs(size), idleTimeoutMs: STALL_MS };
  const restore = withDatabasePassword(db, sh`mysql${connection(db)} ${db.name}`);
  const sink = await target.stream(restore.command, timing);
  if (restore.stdin !== undefined) sink.stdin.write(restore.stdin);
  const dump = withDatabasePassword(db, dumpCommand(db));
  const source_ = await source.stream(dump.command, timing);
  source_.stdin.on("error", () => {});
  source_.stdin.end(dump.stdin);
  const reader = new CoordinatesReader();
  const [piped, dumped, restored] = await Promise.allSettled([
    pipeline(source_.stdout, reader, sink.stdin, { signal }),
    source_.done,
    sink.done,
  ]);
  for (const [outcome, what] of [
    [dumped, `dumping ${db.name} for the replica`],
    [restored, `loading the replica's copy of ${db.name}`],
  ] as const) {
    if (outcome.status === "rejected") throw outcome.reason;
    checkResult(outcome.value, { what, retryable: true });
  }
  if (piped.status === "rejected") throw piped.reason;
  if (reader.position === undefined) {
    throw new RemoteError(
      "remote",
      `the dump of ${db.name} on ${source.host} carries no binlog coordinates`,
      { host: source.host, command: "mysqldump --master-data=2", exitCode: 0 },
      { hint: "turn log_bin on at the source (preflight reports it), or use mode: dump" },
    );
  }
  return reader.position;
}
