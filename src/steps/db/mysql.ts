/**
 * MySQL / MariaDB: mysqldump --single-transaction (a consistent InnoDB snapshot without locking
 * writers), restored with the mysql client; exact per-table row counts. Credentials come from
 * the host's option files (~/.my.cnf of the login user), never from the plan.
 * Not exercised by the test fleet, which has no MySQL server.
 */
import type { Database } from "../../plan/schema.ts";
import { type ShellCommand, sh } from "../../remote/shell.ts";
import type { Remote } from "../../remote/types.ts";
import { rowCountsOf } from "./postgres.ts";

function connection(db: Database): ShellCommand {
  return sh`-P ${db.port ?? 3306}${db.user ? sh` -u ${db.user}` : sh``}`;
}

export function mysqlDumpCommand(db: Database): ShellCommand {
  return sh`mysqldump ${connection(db)} --single-transaction --routines --triggers --events ${db.name}`;
}

export function mysqlRestoreCommand(db: Database, file: string): ShellCommand {
  return sh`mysql ${connection(db)} -e ${`CREATE DATABASE IF NOT EXISTS \`${db.name}\``} && mysql ${connection(db)} ${db.name} < ${file}`;
}

/** One count(*) per base table; table names come from information_schema, quoted with backticks. */
const COUNT_SCRIPT = `
set -e
mysql "$@" -N -B -e "select table_name from information_schema.tables where table_schema = database() and table_type = 'BASE TABLE' order by 1" |
while IFS= read -r t; do
  n=$(mysql "$@" -N -B -e "select count(*) from \\\`$(printf %s "$t" | sed 's/\`/\`\`/g')\\\`")
  printf '%s\\t%s\\n' "$t" "$n"
done
`;

export async function mysqlRowCounts(
  remote: Remote,
  db: Database,
  signal: AbortSignal,
): Promise<Record<string, number>> {
  const command = sh`sh -c ${COUNT_SCRIPT} counts ${connection(db)} ${db.name}`;
  const result = await remote.run(command, { signal, timeoutMs: 10 * 60_000 });
  return rowCountsOf(db, result);
}
