/** The database engines a workload may name, behind one shape the steps use. */
import type { Database } from "../../plan/schema.ts";
import { databaseDeadlineMs } from "../../remote/deadline.ts";
import type { ShellCommand } from "../../remote/shell.ts";
import type { Remote } from "../../remote/types.ts";
import {
  mysqlDumpCommand,
  mysqlDumpWithCounts,
  mysqlRestoreCommand,
  mysqlRowCounts,
  mysqlSizeCommand,
} from "./mysql.ts";
import { withDatabasePassword } from "./password.ts";
import {
  pgDumpCommand,
  pgDumpWithCountsCommand,
  pgRestoreCommand,
  pgRowCounts,
  pgSizeCommand,
} from "./postgres.ts";

export interface DbEngine {
  /** Prints the database's size on disk in bytes (what deadlines of dump and restore follow). */
  size(db: Database): ShellCommand;
  /** Writes the dump on stdout. */
  dump(db: Database): ShellCommand;
  /** Restores from a dump file on the host. */
  restore(db: Database, file: string): ShellCommand;
  /** Counting reads every table: its deadline (`timeoutMs`) follows the database's size (countRows). */
  rowCounts(
    remote: Remote,
    db: Database,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<Record<string, number>>;
  /**
   * The dump on stdout and, into `countsFile` on the same host, the row counts of the very
   * snapshot dumped: PostgreSQL counts inside the exported snapshot pg_dump reads, MySQL and
   * MariaDB count the rows of the dump's own INSERT statements as they pass.
   */
  dumpWithCounts(db: Database, countsFile: string): ShellCommand;
}

const postgresql: DbEngine = {
  size: pgSizeCommand,
  dump: pgDumpCommand,
  restore: pgRestoreCommand,
  rowCounts: pgRowCounts,
  dumpWithCounts: pgDumpWithCountsCommand,
};
const mysql: DbEngine = {
  size: mysqlSizeCommand,
  dump: mysqlDumpCommand,
  restore: mysqlRestoreCommand,
  rowCounts: mysqlRowCounts,
  dumpWithCounts: mysqlDumpWithCounts,
};

export function engineFor(db: Database): DbEngine {
  return db.engine === "postgresql" ? postgresql : mysql;
}

/** The database's size in bytes, for deadlines that follow it. */
export async function databaseSize(remote: Remote, db: Database, signal: AbortSignal): Promise<number> {
  const command = withDatabasePassword(db, engineFor(db).size(db));
  const result = await remote.check(command.command, { stdin: command.stdin, signal, timeoutMs: 60_000 });
  const bytes = Number(result.stdout.trim());
  return Number.isFinite(bytes) ? bytes : 0;
}

/** Row counts of every table, with a deadline from the database's size (a full scan of each table). */
export async function countRows(
  remote: Remote,
  db: Database,
  signal: AbortSignal,
): Promise<Record<string, number>> {
  const bytes = await databaseSize(remote, db, signal);
  return engineFor(db).rowCounts(remote, db, signal, databaseDeadlineMs(bytes));
}
