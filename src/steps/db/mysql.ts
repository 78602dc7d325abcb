/**
 * MySQL / MariaDB: mysqldump --single-transaction (a consistent InnoDB snapshot without locking
 * writers), restored with the mysql client; exact per-table row counts. Credentials come from
 * the host's option files (~/.my.cnf of the login user), never from the plan.
 */
import type { Database } from "../../plan/schema.ts";
import { type ShellCommand, sh } from "../../remote/shell.ts";
import type { Remote } from "../../remote/types.ts";
import { mysqlDumpWithCountsCommand } from "./mysql-dump-counts.ts";
import { withDatabasePassword } from "./password.ts";
import { rowCountsOf } from "./postgres.ts";

/**
 * Client options from the plan; what it leaves out comes from the option files. No default
 * port: MariaDB's client connects by TCP to localhost as soon as -P is given, which misses a
 * server that listens on its socket and the host's own address (the usual hardened setup).
 */
export function connection(db: Database): ShellCommand {
  return sh`${db.port === undefined ? sh`` : sh` -P ${db.port}`}${db.user ? sh` -u ${db.user}` : sh``}`;
}

export function mysqlSizeCommand(db: Database): ShellCommand {
  return sh`mysql${connection(db)} -N -B -e ${"select coalesce(sum(data_length + index_length), 0) from information_schema.tables where table_schema = database()"} ${db.name}`;
}

/**
 * mysqldump's arguments: one consistent InnoDB snapshot, with the database's code; rows in
 * primary-key order and no date stamped at the end, so a dump of an unchanged database is the
 * same bytes and one of a changed database differs only where rows did (transfer/dump-delta.ts).
 */
function dumpArguments(db: Database): ShellCommand {
  return sh`${connection(db)} --single-transaction --routines --triggers --events --order-by-primary --skip-dump-date ${db.name}`;
}

export function mysqlDumpCommand(db: Database): ShellCommand {
  return sh`mysqldump${dumpArguments(db)}`;
}

/** The dump on stdout and the row counts of exactly the rows it holds in `countsFile` (mysql-dump-counts.ts). */
export function mysqlDumpWithCounts(db: Database, countsFile: string): ShellCommand {
  return mysqlDumpWithCountsCommand(dumpArguments(db), countsFile);
}

export function mysqlRestoreCommand(db: Database, file: string): ShellCommand {
  return sh`mysql${connection(db)} -e ${`CREATE DATABASE IF NOT EXISTS \`${db.name}\``} && mysql${connection(db)} ${db.name} < ${file}`;
}

/**
 * One count(*) per table that holds rows (MariaDB lists a table WITH SYSTEM VERSIONING apart
 * from base tables; the dump holds its current rows, which count(*) counts); table names come
 * from information_schema, quoted with backticks.
 * The table list is read into a variable, not piped into the loop: a failing first command of a
 * pipeline does not fail the script, and "no tables" would pass for "cannot connect".
 */
const COUNT_SCRIPT = `
set -e
tables=$(mysql "$@" -N -B -e "select table_name from information_schema.tables where table_schema = database() and table_type in ('BASE TABLE', 'SYSTEM VERSIONED') order by 1")
while IFS= read -r t; do
  [ -n "$t" ] || continue
  n=$(mysql "$@" -N -B -e "select count(*) from \\\`$(printf %s "$t" | sed 's/\`/\`\`/g')\\\`")
  printf '%s\\t%s\\n' "$t" "$n"
done <<EOF
$tables
EOF
`;

export async function mysqlRowCounts(
  remote: Remote,
  db: Database,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<Record<string, number>> {
  const command = sh`sh -c ${COUNT_SCRIPT} counts${connection(db)} ${db.name}`;
  const counted = withDatabasePassword(db, command);
  const result = await remote.run(counted.command, { stdin: counted.stdin, signal, timeoutMs });
  return rowCountsOf(db, result);
}
