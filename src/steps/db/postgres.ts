/**
 * PostgreSQL: pg_dump in custom format, pg_restore on the target, exact per-table row counts.
 * Commands run as the database's OS user (default postgres) through runuser, so peer auth works
 * the way it does for the bureau's own DBAs; where the server asks for a password, the one named
 * by passwordEnv is in PGPASSWORD (password.ts). SQL travels on stdin, never through the shell.
 */
import type { Database } from "../../plan/schema.ts";
import { checkResult } from "../../remote/check-result.ts";
import { type ShellCommand, sh } from "../../remote/shell.ts";
import type { Remote, RunResult } from "../../remote/types.ts";
import { withDatabasePassword } from "./password.ts";

function user(db: Database): string {
  return db.user ?? "postgres";
}

function port(db: Database): number {
  return db.port ?? 5432;
}

export function pgSizeCommand(db: Database): ShellCommand {
  return sh`runuser -u ${user(db)} -- psql -X -At -p ${port(db)} -d ${db.name} -c 'select pg_database_size(current_database())'`;
}

/**
 * The dump on stdout: custom format (restorable table by table), not compressed, so two dumps of
 * a database with a small change share all but a few chunks and only those cross the link
 * (transfer/dump-delta.ts, which compresses what it sends).
 */
export function pgDumpCommand(db: Database): ShellCommand {
  return sh`runuser -u ${user(db)} -- pg_dump -Fc -Z0 -p ${port(db)} -d ${db.name}`;
}

/**
 * Dump and row counts from one snapshot: a psql session opens a repeatable-read transaction,
 * exports its snapshot and counts every table in it, pg_dump then dumps that same snapshot
 * (--snapshot), and the session ends after the dump. Rows deleted or added meanwhile (sessions,
 * queues) are in neither, so the restored copy must hold exactly these counts. The dump ($6,
 * pgDumpCommand's text, the one `migrate plan` shows) goes to stdout, the counts (table TAB
 * rows) to the file named by $4.
 */
const DUMP_WITH_COUNTS = `
set -eu
u=$1 p=$2 d=$3 counts=$4
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkfifo "$t/in" "$t/out"
runuser -u "$u" -- psql -X -q -At -v ON_ERROR_STOP=1 -p "$p" -d "$d" <"$t/in" >"$t/out" &
session=$!
exec 3>"$t/in" 4<"$t/out"
printf '%s\n' 'begin isolation level repeatable read read only;' 'select pg_export_snapshot();' >&3
IFS= read -r snapshot <&4 || { echo "cannot open a snapshot of $d" >&2; exit 1; }
printf '%s\n' "$5" "select 'migrate-counts-end';" >&3
: >"$counts.tmp"
ended=
while IFS= read -r line <&4; do
  if [ "$line" = migrate-counts-end ]; then ended=1; break; fi
  printf '%s\n' "$line" >>"$counts.tmp"
done
[ -n "$ended" ] || { echo "cannot count the rows of $d" >&2; exit 1; }
eval "$6"' --snapshot="$snapshot"'
printf 'commit;\n' >&3
exec 3>&-
wait "$session"
mv -f "$counts.tmp" "$counts"
`;

export function pgDumpWithCountsCommand(db: Database, countsFile: string): ShellCommand {
  return sh`sh -c ${DUMP_WITH_COUNTS} pg-dump ${user(db)} ${port(db)} ${db.name} ${countsFile} ${ROW_COUNTS_SQL} ${pgDumpCommand(db).text}`;
}

/** Restore a dump file on the target, creating the database first when it is missing. */
export function pgRestoreCommand(db: Database, file: string): ShellCommand {
  const u = user(db);
  const p = port(db);
  return sh`{ runuser -u ${u} -- psql -X -At -p ${p} -d ${db.name} -c 'select 1' >/dev/null 2>&1 || runuser -u ${u} -- createdb -p ${p} ${db.name}; } && runuser -u ${u} -- pg_restore --clean --if-exists --no-owner --exit-on-error -p ${p} -d ${db.name} < ${file}`;
}

/** Exact count(*) of every user table, via query_to_xml so one statement counts them all. */
const ROW_COUNTS_SQL = `
select format('%s.%s', table_schema, table_name) || chr(9) ||
  (xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I.%I', table_schema, table_name), false, true, '')))[1]::text
from information_schema.tables
where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')
order by 1;
`;

export function parseRowCounts(output: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of output.split("\n")) {
    const [table, count] = line.split("\t");
    if (table && count !== undefined) counts[table] = Number(count);
  }
  return counts;
}

export async function pgRowCounts(
  remote: Remote,
  db: Database,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<Record<string, number>> {
  const command = sh`runuser -u ${user(db)} -- psql -X -At -v ON_ERROR_STOP=1 -p ${port(db)} -d ${db.name} -f -`;
  const counted = withDatabasePassword(db, command, ROW_COUNTS_SQL);
  const result = await remote.run(counted.command, { stdin: counted.stdin, signal, timeoutMs });
  return rowCountsOf(db, result);
}

/** Row counts from a counting command's result, or the failure naming the database (all engines). */
export function rowCountsOf(db: Database, result: RunResult): Record<string, number> {
  checkResult(result, { what: `cannot count rows of ${db.name}` });
  return parseRowCounts(result.stdout);
}
