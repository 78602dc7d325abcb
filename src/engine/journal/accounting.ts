/**
 * Honest byte accounting per workload (pure), one fold for status, the report and the live
 * view's closing figures: bytes verified in place on the target (not sent), bytes carried on a
 * seed bundle (disk, not link), and bytes sent over the link — the transfer, the final sync's
 * files and database dumps (only the chunks the target lacked), and seed chunks re-sent because
 * they arrived damaged.
 */
import type { CutoverOutput, TransferOutput } from "../../steps/contracts.ts";

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

export function byteAccounting(
  outputs: { transfer?: TransferOutput; cutover?: CutoverOutput },
  seed: SeedBytes | undefined,
): ByteAccounting {
  const dumps = (outputs.cutover?.databases ?? []).reduce((sum, db) => sum + db.dumpBytes, 0);
  return {
    // A snapshot dump's bytes the target's chunk store already held (a carried dump's) were not sent either.
    inPlace: (outputs.transfer?.bytesInPlace ?? 0) + (outputs.transfer?.dumpBytesReused ?? 0),
    seeded: seed?.carried ?? 0,
    sent:
      (outputs.transfer?.bytesSent ?? 0) +
      (outputs.cutover?.delta.bytesSent ?? 0) +
      dumps +
      (seed?.resent ?? 0),
  };
}
