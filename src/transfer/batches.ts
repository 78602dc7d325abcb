/**
 * Splitting a transfer into batches (pure). A batch is sent as one tar stream, verified on the
 * target and checkpointed, so a crash costs at most the batches in flight. Hard-link groups stay
 * in one batch: tar only recreates a hard link when both names are in the same archive.
 * Directories go last, in their own batch, so extracting files into them cannot disturb the
 * directory mtimes restored from the manifest.
 */
import type { ManifestEntry } from "../manifest/model.ts";

export interface BatchLimits {
  maxBytes: number;
  maxFiles: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxBytes: 64 * 1024 * 1024, maxFiles: 4000 };

/**
 * What batch numbers in a checkpoint refer to: the limits and the large-file threshold cut the
 * entries into batches, so verified numbers carry over only while this string is the same.
 */
export function batchPlanId(limits: BatchLimits, largeFrom: number): string {
  return `batches of ${limits.maxBytes} bytes / ${limits.maxFiles} entries; ranges from ${largeFrom} bytes`;
}

export function planBatches(
  entries: readonly ManifestEntry[],
  limits: BatchLimits = DEFAULT_BATCH_LIMITS,
): ManifestEntry[][] {
  const units: ManifestEntry[][] = [];
  const byInode = new Map<string, ManifestEntry[]>();
  const dirs: ManifestEntry[] = [];
  for (const entry of entries) {
    if (entry.type === "dir") {
      dirs.push(entry);
      continue;
    }
    if (entry.type === "file" && entry.nlink > 1) {
      const key = `${entry.dev}:${entry.ino}`;
      const group = byInode.get(key);
      if (group) {
        group.push(entry);
        continue;
      }
      const fresh = [entry];
      byInode.set(key, fresh);
      units.push(fresh);
      continue;
    }
    units.push([entry]);
  }

  const batches: ManifestEntry[][] = [];
  let current: ManifestEntry[] = [];
  let bytes = 0;
  for (const unit of units) {
    // A hard-link group's data travels once, with its first name.
    const unitBytes = unit[0]!.type === "file" ? unit[0]!.size : 0;
    if (
      current.length > 0 &&
      (bytes + unitBytes > limits.maxBytes || current.length + unit.length > limits.maxFiles)
    ) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(...unit);
    bytes += unitBytes;
  }
  if (current.length > 0) batches.push(current);
  if (dirs.length > 0) batches.push(dirs);
  return batches;
}

/** Verified batch numbers, kept as runs `[first, last]` so a checkpoint stays small however many. */
export type VerifiedRuns = (number | [number, number])[];

export function toRuns(numbers: Iterable<number>): VerifiedRuns {
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  const runs: VerifiedRuns = [];
  let start: number | undefined;
  let last = 0;
  for (const n of sorted) {
    if (start !== undefined && n === last + 1) {
      last = n;
      continue;
    }
    if (start !== undefined) runs.push(start === last ? start : [start, last]);
    start = n;
    last = n;
  }
  if (start !== undefined) runs.push(start === last ? start : [start, last]);
  return runs;
}

/** The numbers in runs (and plain numbers, as journals before runs listed them). */
export function fromRuns(runs: VerifiedRuns): Set<number> {
  const numbers = new Set<number>();
  for (const run of runs) {
    if (typeof run === "number") numbers.add(run);
    else for (let n = run[0]; n <= run[1]; n++) numbers.add(n);
  }
  return numbers;
}
