/**
 * Deadlines that follow the work: a remote operation's whole-command deadline is computed from
 * how much it has to read or move and the slowest rate we still call healthy, and a streaming
 * operation is also stopped when no byte moved for `STALL_MS` (a hung channel, a stopped peer)
 * — so a big or throttled job is never killed for being big, and a stalled one is noticed
 * within a minute, not after half an hour.
 */

/** No byte in either direction for this long: the stream is stalled. */
export const STALL_MS = 60_000;

/** Fixed part of every size-based deadline: connection, process start, fsync, small trees. */
export const BASE_MS = 5 * 60_000;

/** Slowest healthy rates: a busy spinning disk hashing, a database restoring with indexes. */
export const MIN_HASH_BPS = 20 * 1024 * 1024;
export const MIN_DB_BPS = 2 * 1024 * 1024;
/** Slowest healthy network rate when no bandwidth budget says otherwise. */
export const MIN_LINK_BPS = 1024 * 1024;

/** `bytes` at `rateBps`, plus the fixed part, in milliseconds. */
export function deadlineMs(bytes: number, rateBps: number): number {
  const rate = Math.max(1, rateBps);
  return BASE_MS + Math.ceil((Math.max(0, bytes) / rate) * 1000);
}

/** Hashing or listing `bytes` of files. */
export function hashDeadlineMs(bytes: number): number {
  return deadlineMs(bytes, MIN_HASH_BPS);
}

/** Dumping or restoring a database of `bytes` (on-disk size or dump size). */
export function databaseDeadlineMs(bytes: number): number {
  return deadlineMs(bytes, MIN_DB_BPS);
}

/**
 * Sending `bytes` under a shared bandwidth budget: the run's transfers share `budgetBps`, so one
 * transfer may get only `budgetBps / sharers`; the deadline allows half of that share.
 */
export function transferDeadlineMs(
  bytes: number,
  budget?: { bytesPerSecond: number; sharers: number },
): number {
  const share = budget ? budget.bytesPerSecond / Math.max(1, budget.sharers) : Number.POSITIVE_INFINITY;
  return deadlineMs(bytes, Math.min(MIN_LINK_BPS, share / 2));
}

/**
 * Stall window while hashing: the hasher prints nothing until a file is done, so the window
 * grows with the largest single file it may meet.
 */
export function hashStallMs(largestFileBytes: number): number {
  return STALL_MS + Math.ceil((Math.max(0, largestFileBytes) / MIN_HASH_BPS) * 1000);
}

/** The largest file among manifest-like entries. */
export function largestFile(entries: readonly { size?: number | undefined }[]): number {
  let largest = 0;
  for (const entry of entries) if ((entry.size ?? 0) > largest) largest = entry.size ?? 0;
  return largest;
}

/**
 * Stall window of a throttled stream: bytes pass in chunks as the budget allows, so a chunk of
 * up to 1 MiB at this transfer's share must fit in it besides the minute.
 */
export function transferStallMs(budget?: { bytesPerSecond: number; sharers: number }): number {
  if (!budget) return STALL_MS;
  const share = budget.bytesPerSecond / Math.max(1, budget.sharers);
  return STALL_MS + Math.ceil(((1024 * 1024) / share) * 1000);
}
