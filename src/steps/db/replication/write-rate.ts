/**
 * Rates `plan` projects a replicated database's downtime from, read-only: how fast the source
 * server writes (WAL or binlog bytes per second, server-wide), and, while a replication of the
 * database runs, how far behind the target is and how fast it applies. Two samples ~2 s apart.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { Database } from "../../../plan/schema.ts";
import type { Remote } from "../../../remote/types.ts";
import { sqlRecords } from "./mysql-client.ts";
import { psql } from "./postgres-sql.ts";
import type { ReplicationLag } from "./types.ts";

export const SAMPLE_MS = 2000;

/** The source's write position as a byte offset from the server's first log; undefined: no log. */
async function logOffset(source: Remote, db: Database, signal: AbortSignal): Promise<number | undefined> {
  if (db.engine === "postgresql") {
    const [bytes] = await psql(
      source,
      db,
      "select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint;",
      signal,
    );
    return bytes === undefined ? undefined : Number(bytes);
  }
  const what = "reading the binlog position";
  const [status] = await sqlRecords(source, db, "SHOW MASTER STATUS;", { signal, what });
  if (!status?.File) return undefined;
  const logs = await sqlRecords(source, db, "SHOW BINARY LOGS;", { signal, what });
  // Offsets add the sizes of the logs before the current one, so a rotation between the two
  // samples still counts every byte written.
  const before = logs
    .filter((log) => (log.Log_name ?? "") < status.File!)
    .reduce((sum, log) => sum + Number(log.File_size ?? 0), 0);
  return before + Number(status.Position ?? 0);
}

export interface MeasuredRates {
  writeBytesPerSecond?: number;
  lag?: ReplicationLag & { applyBytesPerSecond: number };
}

/**
 * Sample the source's log offset (and the running replication's lag, when `lag` is given) twice,
 * `spanMs` apart. The target's apply rate is the source's write rate minus the lag's growth.
 */
export async function measureRates(
  source: Remote,
  db: Database,
  signal: AbortSignal,
  lag?: () => Promise<ReplicationLag>,
  spanMs = SAMPLE_MS,
): Promise<MeasuredRates> {
  const sample = () => Promise.all([logOffset(source, db, signal), lag?.(), performance.now()] as const);
  const [offset0, lag0, t0] = await sample();
  await delay(spanMs, undefined, { signal });
  const [offset1, lag1, t1] = await sample();
  const seconds = (t1 - t0) / 1000;
  const rates: MeasuredRates = {};
  if (offset0 !== undefined && offset1 !== undefined)
    rates.writeBytesPerSecond = Math.max(0, Math.round((offset1 - offset0) / seconds));
  if (lag0 && lag1) {
    const written = rates.writeBytesPerSecond ?? 0;
    const applied = Math.max(0, Math.round(written - (lag1.bytes - lag0.bytes) / seconds));
    rates.lag = { ...lag1, applyBytesPerSecond: applied };
  }
  return rates;
}
