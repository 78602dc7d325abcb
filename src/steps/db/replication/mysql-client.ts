/**
 * SQL on a MariaDB host through its mysql client, the way the dump steps reach it: credentials
 * from the login user's option files or the plan's passwordEnv, and the SQL itself on stdin, so
 * a replication password in it never reaches a command line, the audit log or an error.
 */

import type { Database } from "../../../plan/schema.ts";
import { checkResult } from "../../../remote/check-result.ts";
import { sh } from "../../../remote/shell.ts";
import type { Remote } from "../../../remote/types.ts";
import { connection } from "../mysql.ts";
import { withDatabasePassword } from "../password.ts";

/**
 * Backslashes are escapes in MariaDB strings unless NO_BACKSLASH_ESCAPES is set: every script
 * starts by clearing that mode for its own session, so sqlString() means one thing everywhere.
 */
const SESSION = "SET SESSION sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '');\n";

/** A SQL string literal for any value (names, hosts, a password). */
export function sqlString(value: string | number): string {
  return `'${String(value).replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

/** A SQL identifier (database, table, event), backtick-quoted. */
export function sqlIdent(name: string): string {
  return `\`${name.replaceAll("`", "``")}\``;
}

/** mysql -B escapes NUL, tab, newline and backslash in values; this undoes it. */
function unescapeBatch(value: string): string {
  return value.replace(/\\([0btnr\\])/g, (_, c: string) =>
    c === "0" ? "\0" : c === "b" ? "\b" : c === "t" ? "\t" : c === "n" ? "\n" : c === "r" ? "\r" : "\\",
  );
}

function lines(stdout: string): string[] {
  return stdout.split("\n").filter((line) => line !== "");
}

export interface SqlOptions {
  signal: AbortSignal;
  /** Run with the plan's database as the default one (it must exist). */
  inDatabase?: boolean;
  timeoutMs?: number;
  what: string;
  /** Go on past a failing statement (mysql --force), for statements that may race a session's end. */
  force?: boolean;
}

async function runSql(remote: Remote, db: Database, sql: string, headers: boolean, options: SqlOptions) {
  const command = sh`mysql${connection(db)} -B${headers ? sh`` : sh` -N`}${options.force ? sh` --force` : sh``}${options.inDatabase ? sh` ${db.name}` : sh``}`;
  const wrapped = withDatabasePassword(db, command, SESSION + sql);
  const result = await remote.run(wrapped.command, {
    stdin: wrapped.stdin ?? "",
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? 60_000,
  });
  return checkResult(result, { what: options.what }).stdout;
}

/** Every row of every result set the statements print, as columns (no headers). */
export async function sqlRows(
  remote: Remote,
  db: Database,
  sql: string,
  options: SqlOptions,
): Promise<string[][]> {
  return lines(await runSql(remote, db, sql, false, options)).map((line) =>
    line.split("\t").map(unescapeBatch),
  );
}

/** The rows of ONE statement's result, keyed by column name (SHOW SLAVE STATUS and the like). */
export async function sqlRecords(
  remote: Remote,
  db: Database,
  sql: string,
  options: SqlOptions,
): Promise<Record<string, string>[]> {
  const [header, ...rows] = lines(await runSql(remote, db, sql, true, options));
  if (header === undefined) return [];
  const names = header.split("\t");
  return rows.map((line) => {
    const values = line.split("\t").map(unescapeBatch);
    return Object.fromEntries(names.map((name, i) => [name, values[i] ?? ""]));
  });
}

/** Statements whose output nobody reads. */
export async function sqlExec(remote: Remote, db: Database, sql: string, options: SqlOptions): Promise<void> {
  await runSql(remote, db, sql, false, options);
}
