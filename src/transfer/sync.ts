/**
 * Moves a list of manifest entries from source to target in batches: send a batch as one tar
 * stream, verify it on the target against the manifest (sizes, modes, owners, mtimes, link
 * targets, hard links, hashes; batch-verify.ts), checkpoint it, and move on. Verifying batch N
 * overlaps sending batch N+1. Batches already verified by an earlier attempt are skipped, not resent.
 */
import { type HashAlgorithm, type ManifestEntry, totalBytes } from "../manifest/model.ts";
import { transferDeadlineMs, transferStallMs } from "../remote/deadline.ts";
import type { Remote } from "../remote/types.ts";
import { archiveBytes } from "./archive-size.ts";
import { type EntrySource, streamBatches, survey } from "./batch-stream.ts";
import { verifyBatch, verifyWidth } from "./batch-verify.ts";
import { type BatchLimits, DEFAULT_BATCH_LIMITS } from "./batches.ts";
import { BatchProgress, ProgressTracker } from "./meter.ts";
import { pythonReceives } from "./range-receive.ts";
import { sendByRanges } from "./range-send.ts";
import type { LargeProgress } from "./ranges.ts";
import { type BatchFlight, compressBatches, keepAttributes, launchBatch, rootRedirects } from "./tar-pipe.ts";
import type { Progress, Throttle } from "./types.ts";

export interface SyncOptions {
  source: Remote;
  target: Remote;
  /** In path order: the final sync's delta as an array, the transfer's manifest as a stream. */
  entries: EntrySource;
  hash: HashAlgorithm;
  signal: AbortSignal;
  throttle: Throttle;
  progress: (progress: Progress) => void;
  /** Batch indexes verified by an earlier attempt (same entries, same limits). */
  verified?: ReadonlySet<number>;
  /** Called, in order, after each batch is verified on the target. */
  onVerified?: (batch: number, verified: readonly number[]) => Promise<void>;
  limits?: BatchLimits;
  /** The paths tar may write on the target (the workload's paths, and staging files). */
  roots: readonly string[];
  /**
   * A live source (the bulk transfer): a file the source changed since its manifest entry is
   * accepted whatever the target holds; the final sync, under the freeze, sends it again.
   * Without it (the final sync itself) the target must equal the source as it is now.
   */
  live?: boolean;
  /**
   * Send large files by ranges (ranges.ts), first and one after another, resuming from `from`
   * (an earlier attempt's checkpoint); `onProgress` journals each verified range and file.
   */
  ranges?: { from: LargeProgress | undefined; onProgress: (large: LargeProgress) => Promise<void> };
  /**
   * Where to append evidence of what each batch's verification hashed on the target (identity
   * and digest, target-evidence.ts): the cutover's tree check trusts it instead of hashing the
   * unchanged rest again.
   */
  evidenceFile?: string;
}

export interface SyncResult {
  batches: number;
  filesSent: number;
  filesSkipped: number;
  bytesSent: number;
  /** Files that changed on the source while they were sent; the target holds the newer version. */
  changedDuringTransfer: number;
  durationMs: number;
  averageBps: number;
  /** Bytes of large files an earlier attempt had verified, not sent again. */
  bytesResumed: number;
  filesByRanges: number;
  /** Entries checked from the target's receipt as they arrived (receipt.ts). */
  checkedOnArrival: number;
  /** Entries the receipt showed differently, listed and hashed again on the target. */
  listedAgain: number;
}

/**
 * Deadline for one batch: its bytes at the slowest healthy rate, or at half its share of the
 * run's bandwidth budget when that is slower (a throttled batch is slow by design). A hung
 * channel is caught sooner, by the stall window: no byte for STALL_MS.
 */
export function batchTimeoutMs(bytes: number, throttle?: Throttle): number {
  return transferDeadlineMs(bytes, throttle?.budget);
}

/** The workload root `path` lies under (every path lies under one: batchRoots checks tar's). */
function rootOf(path: string, roots: readonly string[]): string {
  return (
    roots.find((root) => path === root || path.startsWith(root.endsWith("/") ? root : `${root}/`)) ?? "/"
  );
}

/** Sends the large files by ranges, in order, from where the checkpoint left off. */
async function sendLarge(
  options: SyncOptions,
  large: readonly ManifestEntry[],
  tracker: ProgressTracker,
  result: SyncResult,
): Promise<void> {
  const ranges = options.ranges!;
  const from = ranges.from;
  const python = await pythonReceives(options.target, options.hash, options.signal);
  for (const [index, entry] of large.entries()) {
    options.signal.throwIfAborted();
    if (index < (from?.done ?? 0)) {
      result.filesSkipped += 1;
      continue;
    }
    const sent = await sendByRanges(entry, {
      source: options.source,
      target: options.target,
      hash: options.hash,
      signal: options.signal,
      throttle: options.throttle,
      onBytes: (n) => tracker.addBytes(n),
      root: rootOf(entry.path, options.roots),
      resume: from?.current,
      onRange: (current) => ranges.onProgress({ done: index, current }),
      python,
    });
    result.bytesSent += sent.bytesSent;
    result.bytesResumed += sent.resumedFrom;
    result.filesSent += 1;
    result.filesByRanges += 1;
    if (sent.changed) result.changedDuringTransfer += 1;
    tracker.addFiles(1);
    await ranges.onProgress({ done: index + 1 });
  }
}

export async function syncEntries(options: SyncOptions): Promise<SyncResult> {
  const started = Date.now();
  const limits = options.limits ?? DEFAULT_BATCH_LIMITS;
  const surveyed = await survey(options.entries, options.ranges !== undefined);
  const large = surveyed.large;
  const done = new Set(options.verified ?? []);
  const largeFrom = options.ranges?.from;
  const largePending = large.slice(largeFrom?.done ?? 0);
  // A pass to count: progress shows its total before the first byte moves, in archive bytes for
  // batches and content bytes for ranges (what passes the meter). Nothing of it is kept.
  let batches = 0;
  let pendingBytes = 0;
  let pendingFiles = 0;
  for await (const batch of streamBatches(options.entries, surveyed, limits)) {
    if (!done.has(batches++)) {
      pendingBytes += archiveBytes(batch);
      pendingFiles += batch.length;
    }
  }
  const tracker = new ProgressTracker(
    pendingBytes +
      totalBytes(largePending) -
      (largeFrom?.current && largePending[0]?.path === largeFrom.current.path
        ? largeFrom.current.through
        : 0),
    pendingFiles + largePending.length,
    options.progress,
  );
  // The total is on screen before the first byte moves (with what was found in place).
  tracker.flush();
  const result: SyncResult = {
    batches,
    filesSent: 0,
    filesSkipped: 0,
    bytesSent: 0,
    changedDuringTransfer: 0,
    durationMs: 0,
    averageBps: 0,
    bytesResumed: 0,
    filesByRanges: 0,
    checkedOnArrival: 0,
    listedAgain: 0,
  };

  const [attributes, redirects, width, compress, receives] = await Promise.all([
    keepAttributes([options.source, options.target], surveyed.withAttributes, options.signal),
    rootRedirects(options.target, options.roots, options.signal),
    verifyWidth(options.target, options.signal),
    compressBatches([options.source, options.target], options.signal),
    pythonReceives(options.target, options.hash, options.signal),
  ]);
  const progress = new BatchProgress(tracker, compress);
  if (large.length > 0) await sendLarge(options, large, tracker, result);
  // A batch's extraction ends and its check runs beside the next batch's stream; when one
  // fails, the batch in flight is stopped and the failure is the one reported.
  const inFlight = new AbortController();
  const signal = AbortSignal.any([options.signal, inFlight.signal]);
  let verifying: Promise<void> = Promise.resolve();
  let index = -1;
  for await (const batch of streamBatches(options.entries, surveyed, limits)) {
    index++;
    options.signal.throwIfAborted();
    if (done.has(index)) {
      result.filesSkipped += batch.length;
      continue;
    }
    const bytes = totalBytes(batch);
    const estimate = archiveBytes(batch);
    const counting = progress.batch(estimate);
    const dirs = batch.some((entry) => entry.type === "dir");
    // Directories come last so their restored mtimes outlive the files written into them:
    // every batch before them has landed before they go.
    if (dirs) await verifying;
    let flight: BatchFlight;
    try {
      flight = await launchBatch(
        options.source,
        options.target,
        batch.map((entry) => entry.path),
        {
          signal,
          throttle: options.throttle,
          onBytes: counting.onBytes,
          timeoutMs: batchTimeoutMs(estimate, options.throttle),
          idleTimeoutMs: transferStallMs(options.throttle.budget),
          roots: options.roots,
          attributes,
          redirects,
          compress,
          // Directories (the last batch) are checked by listing: a root the target holds as a
          // symlink to a data disk is listed as the workload sees it, not as the link.
          ...(receives && !dirs ? { receipt: options.hash } : {}),
        },
      );
    } catch (error) {
      if (inFlight.signal.aborted) await verifying;
      throw error;
    }
    const wire = await flight.streamed;
    counting.sent(wire);
    result.bytesSent += wire;
    result.filesSent += batch.length;
    // At most one batch lands beside the next one's stream; wait for the one before first.
    await verifying;
    const verified = index;
    verifying = flight.landed
      .then((sent) => verifyBatch({ ...options, width }, batch, bytes, sent.receipt))
      .then(async (check) => {
        result.changedDuringTransfer += check.changed.length;
        result.checkedOnArrival += check.onArrival;
        result.listedAgain += check.listedAgain;
        done.add(verified);
        tracker.addFiles(batch.length);
        await options.onVerified?.(
          verified,
          [...done].sort((a, b) => a - b),
        );
      });
    verifying.catch(() => inFlight.abort());
  }
  await verifying;
  tracker.flush();
  result.durationMs = Date.now() - started;
  result.averageBps = tracker.averageBps();
  return result;
}
