/**
 * Large files travel in ranges, not in a tar batch (pure planning here; range-send.ts moves
 * them). Each range is hashed on both sides as it passes and journaled once the target's digest
 * equals the orchestrator's, so an attempt cut off at 90 % of a 100 GB file resumes at the last
 * verified range instead of at zero: at most one range is sent twice.
 */
import { z } from "zod";
import type { ManifestEntry } from "../manifest/model.ts";

/** Files from this size on go by ranges (below it a batch costs little to send again). */
export const LARGE_FILE_BYTES = 128 * 1024 * 1024;
/** Range size bounds: small enough that a lost range is cheap, large enough to stream. */
export const MIN_RANGE_BYTES = 8 * 1024 * 1024;
export const MAX_RANGE_BYTES = 256 * 1024 * 1024;
/** About this many ranges per file, so what an interruption re-sends is ≤ 1/64 of it. */
const RANGES_PER_FILE = 64;

/**
 * Whether an entry goes by ranges: a large regular file on its own (a hard-link group stays in
 * tar, which recreates the links; xattrs, ACLs and capabilities travel only in tar's headers).
 */
export function byRanges(entry: ManifestEntry, threshold = LARGE_FILE_BYTES): boolean {
  const name = entry.path.slice(entry.path.lastIndexOf("/") + 1);
  return (
    entry.type === "file" &&
    entry.nlink === 1 &&
    entry.xattrs === undefined &&
    entry.size >= threshold &&
    // The partial copy's name must still fit NAME_MAX.
    Buffer.byteLength(partialPath(name)) <= 255
  );
}

/** The range size for a file: 1/64 of it, within the bounds, a whole MiB. */
export function rangeSize(fileBytes: number): number {
  const MiB = 1024 * 1024;
  const wanted = Math.ceil(fileBytes / RANGES_PER_FILE / MiB) * MiB;
  return Math.min(MAX_RANGE_BYTES, Math.max(MIN_RANGE_BYTES, wanted));
}

/** Lengths of the ranges that cover `[from, size)`, each `rangeSize(size)` but the last. */
export function planRanges(size: number, from: number): number[] {
  const step = rangeSize(size);
  const lengths: number[] = [];
  for (let offset = Math.max(0, from); offset < size; offset += step)
    lengths.push(Math.min(step, size - offset));
  return lengths;
}

/** Where an attempt left one large file: its partial copy and the bytes verified in it. */
export const RangeProgress = z.object({
  path: z.string(),
  /** Inode of the partial copy on the target: another file there is not ours to continue. */
  ino: z.string(),
  /** Bytes from the start verified on the target. */
  through: z.number(),
  /** Digest of the last verified range (the journal keeps every earlier one). */
  digest: z.string(),
});
export type RangeProgress = z.infer<typeof RangeProgress>;

/** The large files' part of a transfer checkpoint: they go one after another, in manifest order. */
export const LargeProgress = z.object({
  /** How many of the large files are in place. */
  done: z.number(),
  /** The one being sent. */
  current: RangeProgress.optional(),
});
export type LargeProgress = z.infer<typeof LargeProgress>;

/**
 * The offset to continue `entry` from: what the checkpoint verified, when it is about this file
 * and the partial copy on the target is the same inode and at least that long; else zero.
 */
export function resumeOffset(
  entry: ManifestEntry,
  checkpoint: RangeProgress | undefined,
  partial: { ino: string; size: number } | undefined,
): number {
  if (checkpoint === undefined || partial === undefined) return 0;
  if (checkpoint.path !== entry.path || checkpoint.ino !== partial.ino) return 0;
  if (partial.size < checkpoint.through || checkpoint.through > entry.size) return 0;
  return checkpoint.through;
}

/** Name of the partial copy, beside the file so the final rename stays on one filesystem. */
export function partialPath(path: string): string {
  const cut = path.lastIndexOf("/");
  return `${path.slice(0, cut + 1)}.migrate-partial.${path.slice(cut + 1)}`;
}
