/** The database engines a workload may name, behind one shape the steps use. */
import type { Database } from "../../plan/schema.ts";
import type { ShellCommand } from "../../remote/shell.ts";
import type { Remote } from "../../remote/types.ts";
import { mysqlDumpCommand, mysqlRestoreCommand, mysqlRowCounts } from "./mysql.ts";
import { pgDumpCommand, pgRestoreCommand, pgRowCounts } from "./postgres.ts";

export interface DbEngine {
  /** Writes the dump on stdout. */
  dump(db: Database): ShellCommand;
  /** Restores from a dump file on the host. */
  restore(db: Database, file: string): ShellCommand;
  rowCounts(remote: Remote, db: Database, signal: AbortSignal): Promise<Record<string, number>>;
}

const postgresql: DbEngine = { dump: pgDumpCommand, restore: pgRestoreCommand, rowCounts: pgRowCounts };
const mysql: DbEngine = { dump: mysqlDumpCommand, restore: mysqlRestoreCommand, rowCounts: mysqlRowCounts };

export function engineFor(db: Database): DbEngine {
  return db.engine === "postgresql" ? postgresql : mysql;
}

/** Dump file of a database inside a workload's scratch directory on a host. */
export function dumpFile(workDir: string, db: Database): string {
  return `${workDir}/${db.engine}-${db.name}.dump`;
}
