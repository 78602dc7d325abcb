/**
 * SQL for PostgreSQL logical replication, run through psql as the database's OS user (like the
 * dump path in ../postgres.ts). Statements travel on stdin, so secrets (the replication user's
 * password, the subscription's connection string) never reach a command line or the audit log.
 */
import type { Database } from "../../../plan/schema.ts";
import { sh } from "../../../remote/shell.ts";
import type { Remote } from "../../../remote/types.ts";
import { withDatabasePassword } from "../password.ts";

export const SQL_MS = 60_000;

/** Run `sql` in `database` (default: the plan's) and return psql's rows, fields split by a tab. */
export async function psql(
  remote: Remote,
  db: Database,
  sql: string,
  signal: AbortSignal,
  options: { database?: string; timeoutMs?: number } = {},
): Promise<string[]> {
  const command = sh`runuser -u ${db.user ?? "postgres"} -- psql -X -q -At -F ${"\t"} -v ON_ERROR_STOP=1 -p ${db.port ?? 5432} -d ${options.database ?? db.name} -f -`;
  // migrate's own sessions write through the cutover's read-only freeze (teardown, setval).
  const wrapped = withDatabasePassword(db, command, `set default_transaction_read_only = off;\n${sql}`);
  const result = await remote.check(wrapped.command, {
    stdin: wrapped.stdin,
    signal,
    timeoutMs: options.timeoutMs ?? SQL_MS,
  });
  return result.stdout.split("\n").filter((line) => line !== "");
}

/** A SQL string literal. */
export function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A SQL identifier. */
export function ident(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

/** Tables a publication would break: no primary key and no usable replica identity. */
export const TABLES_WITHOUT_KEY = `
select format('%I.%I', n.nspname, c.relname)
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and not c.relispartition
  and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'
  and (c.relreplident = 'n' or (c.relreplident = 'd'
    and not exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisprimary)))
order by 1;
`;

/** One line per setting the preflight reads, as name TAB value. */
export const SOURCE_FACTS = `
select 'wal_level', current_setting('wal_level')
union all select 'version', current_setting('server_version_num')
union all select 'slots_free', (current_setting('max_replication_slots')::int - (select count(*) from pg_replication_slots))::text
union all select 'senders_free', (current_setting('max_wal_senders')::int - (select count(*) from pg_stat_replication))::text
union all select 'slot_keep', current_setting('max_slot_wal_keep_size')
union all select 'large_objects', (select count(*) from pg_largeobject_metadata)::text;
`;

/** Statements that set every sequence on the target to the source's value (run on the source). */
export const SEQUENCE_SETVALS = `
select format('select setval(%L, %s, %s);', format('%I.%I', schemaname, sequencename),
  coalesce(last_value, start_value), case when last_value is null then 'false' else 'true' end)
from pg_sequences order by schemaname, sequencename;
`;

export function parseFacts(lines: readonly string[]): Record<string, string> {
  return Object.fromEntries(lines.map((line) => line.split("\t") as [string, string]));
}

/** A DO block that returns once `condition` holds or after `tries` polls 20 ms apart. */
export function waitUntil(condition: string, tries: number): string {
  return `do $$ declare i int := 0; begin
  while i < ${tries} and not (${condition}) loop perform pg_sleep(0.02); i := i + 1; end loop;
end $$;`;
}
