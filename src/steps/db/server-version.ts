/**
 * The database server's version on a host, for readiness (engine/running/readiness-probe.ts):
 * a restore onto an older major version than the dump came from is refused before any change.
 * Read-only: one query, no database of the workload needed (the target may not have it yet).
 */
import type { Database } from "../../plan/schema.ts";
import { sh } from "../../remote/shell.ts";
import type { Remote } from "../../remote/types.ts";
import { withDatabasePassword } from "./password.ts";

/** [major, minor]: PostgreSQL 15.4 → [15, 0] (majors only since 10), MariaDB 10.11.6 → [10, 11]. */
export type ServerVersion = [number, number];

export function parseServerVersion(engine: Database["engine"], text: string): ServerVersion | undefined {
  const trimmed = text.trim();
  if (engine === "postgresql") {
    const num = Number(trimmed);
    if (!Number.isInteger(num) || num <= 0) return undefined;
    return num >= 100_000
      ? [Math.floor(num / 10_000), 0]
      : [Math.floor(num / 10_000), Math.floor(num / 100) % 100];
  }
  const match = /^(\d+)\.(\d+)/.exec(trimmed);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

export async function serverVersion(
  remote: Remote,
  db: Database,
  signal: AbortSignal,
): Promise<ServerVersion | undefined> {
  const query =
    db.engine === "postgresql"
      ? sh`runuser -u ${db.user ?? "postgres"} -- psql -X -At -p ${db.port ?? 5432} -d postgres -c 'show server_version_num'`
      : sh`mysql${db.port === undefined ? sh`` : sh` -P ${db.port}`}${db.user ? sh` -u ${db.user}` : sh``} -N -B -e 'select version()'`;
  const command = withDatabasePassword(db, query);
  const result = await remote.run(command.command, { stdin: command.stdin, signal, timeoutMs: 30_000 });
  return result.exitCode === 0 ? parseServerVersion(db.engine, result.stdout) : undefined;
}
