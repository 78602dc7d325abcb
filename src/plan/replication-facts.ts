/**
 * What the replication preflight found for one database, read-only, at `plan` or `inventory`
 * time: the findings (the same ones apply's preflight refuses on), the source's write rate, and,
 * while a replication of it is running, its lag and apply rate. `inventory --out` records these;
 * `plan --inventory` uses them when the hosts cannot be asked.
 */
import { z } from "zod";

export const ReplicationFindingFact = z.object({
  severity: z.enum(["block", "warn"]),
  code: z.string(),
  message: z.string(),
  hint: z.string(),
  tables: z.array(z.string()).optional(),
});

/** A replication that is running now (after `apply --stop-before cutover` or `sync`), measured. */
export const ReplicationLagFact = z.object({
  bytes: z.number(),
  seconds: z.number().nullable(),
  /** Bytes per second the target applied while measured (source's writes minus the lag's growth). */
  applyBytesPerSecond: z.number(),
});

export const DatabasePreflightFact = z.object({
  workload: z.string(),
  database: z.string(),
  engine: z.string(),
  /** ISO time the hosts were asked. */
  checkedAt: z.string(),
  /** Absent when the preflight ran; why it could not otherwise (a host unreachable or unknown). */
  notRun: z.string().optional(),
  findings: z.array(ReplicationFindingFact),
  /** Bytes per second the source server writes (WAL or binlog), sampled over ~2 s. */
  writeBytesPerSecond: z.number().optional(),
  lag: ReplicationLagFact.optional(),
});
export type DatabasePreflightFact = z.infer<typeof DatabasePreflightFact>;

/** The fact's key: workload and database together (one database name may recur per workload). */
export function preflightKey(workload: string, database: string): string {
  return `${workload}/${database}`;
}
