/**
 * Honest byte accounting per workload (pure), one fold for status, the report and the live
 * view's closing figures: bytes verified in place on the target (not sent), bytes carried on a
 * seed bundle (disk, not link), and bytes sent over the link — the transfer, the final sync's
 * files and database dumps, and seed chunks re-sent because they arrived damaged.
 */

export interface ByteAccounting {
  inPlace: number;
  seeded: number;
  sent: number;
}

/** What `migrate seed import` journaled for one workload (seed-ledger.ts reads it). */
export interface SeedBytes {
  /** Chunk bytes carried on the bundle and verified on the target. */
  carried: number;
  /** Bytes of damaged chunks sent again over the link from the source. */
  resent: number;
}

const num = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0);

export function byteAccounting(
  outputs: { transfer?: Record<string, unknown>; cutover?: Record<string, unknown> },
  seed: SeedBytes | undefined,
): ByteAccounting {
  const delta = outputs.cutover?.delta as Record<string, unknown> | undefined;
  const dumps = Array.isArray(outputs.cutover?.databases)
    ? (outputs.cutover.databases as Record<string, unknown>[]).reduce((sum, db) => sum + num(db.dumpBytes), 0)
    : 0;
  return {
    inPlace: num(outputs.transfer?.bytesInPlace),
    seeded: seed?.carried ?? 0,
    sent: num(outputs.transfer?.bytesSent) + num(delta?.bytesSent) + dumps + (seed?.resent ?? 0),
  };
}
