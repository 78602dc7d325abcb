/**
 * Verifying a batch on the target against the manifest (sizes, modes, owners, mtimes, link
 * targets, hard links, attributes, hashes). Where the target can run the receiver, the batch
 * arrives with its receipt (receipt.ts): digests of what tar was given and a listing of what it
 * wrote, taken in the extraction's own process, so nothing is read back. Otherwise, and for any
 * entry the receipt shows differently from the manifest, the target lists the entries without
 * hashing them and, beside that listing, hashes the files with OpenSSL (target-digests.ts: many
 * files per process, SHA-NI), overlapping the next batch's send. A file that differs is
 * accepted only when the source changed it too (a live source; the final sync sends it).
 */
import { RemoteError } from "../errors.ts";
import { collectManifest } from "../manifest/collect.ts";
import {
  canonicalLines,
  type HashAlgorithm,
  type ManifestEntry,
  mismatchedPaths,
} from "../manifest/model.ts";
import { hashDeadlineMs, hashStallMs, largestFile } from "../remote/deadline.ts";
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import type { Receipt } from "./receipt.ts";
import { targetDigests } from "./target-digests.ts";
import { appendEvidence, evidenceOf } from "./target-evidence.ts";

/** What verifying needs of the sync's options (sync.ts says what each means). */
export interface VerifyOptions {
  source: Remote;
  target: Remote;
  hash: HashAlgorithm;
  signal: AbortSignal;
  roots: readonly string[];
  live?: boolean;
  evidenceFile?: string;
  /** Hashing processes at once on the target. */
  width: number;
}

/**
 * The batch as the target holds it: listed without digests, each regular file given the digest
 * the target computed beside the listing. A file with no digest (it vanished, or could not be
 * read) keeps none, so it differs from the manifest and is looked at again.
 */
export async function listBatch(
  options: VerifyOptions,
  batch: readonly ManifestEntry[],
  bytes: number,
): Promise<ManifestEntry[]> {
  const { signal } = options;
  const timeoutMs = hashDeadlineMs(bytes);
  const files = batch.filter((entry) => entry.type === "file");
  const [listed, digests] = await Promise.all([
    collectManifest(
      options.target,
      batch.map((entry) => entry.path),
      {
        mode: "list",
        hash: "none",
        signal,
        timeoutMs,
        idleTimeoutMs: hashStallMs(largestFile(batch)),
        roots: options.roots,
      },
    ),
    targetDigests(options.target, files, { hash: options.hash, signal, timeoutMs, width: options.width }),
  ]);
  return listed.map((entry) => {
    const hash = entry.type === "file" ? digests.get(entry.path) : undefined;
    return hash === undefined ? entry : { ...entry, hash };
  });
}

/**
 * Hashing processes for a batch check: half the target's cores (at least one), since the
 * check runs while the target's tar extracts the next batch.
 */
export async function verifyWidth(target: Remote, signal: AbortSignal): Promise<number> {
  const found = await target.check(sh`nproc 2>/dev/null || echo 1`, { signal, timeoutMs: 30_000 });
  return Math.max(1, Math.floor((Number.parseInt(found.stdout, 10) || 1) / 2));
}

/**
 * The batch as the target holds it, with the target's clock that dates its digests: the
 * receipt where the extraction wrote one, an entry of it that differs from the manifest listed
 * again the ordinary way (a receipt only makes the check cheaper); else the ordinary listing.
 */
async function observe(
  options: VerifyOptions,
  batch: readonly ManifestEntry[],
  bytes: number,
  receipt: Receipt | undefined,
): Promise<{ at: string; actual: ManifestEntry[]; again: ReadonlySet<string> }> {
  if (receipt === undefined) {
    // The target's clock before it lists, what the evidence of these digests is dated by.
    const at =
      options.evidenceFile === undefined
        ? ""
        : (
            await options.target.check(sh`date +%s.%N`, { signal: options.signal, timeoutMs: 30_000 })
          ).stdout.trim();
    return { at, actual: await listBatch(options, batch, bytes), again: new Set() };
  }
  const wanted = new Set(batch.map((entry) => entry.path));
  const received = receipt.entries.filter((entry) => wanted.has(entry.path));
  const again = new Set(mismatchedPaths(batch, received));
  if (again.size === 0) return { at: receipt.at, actual: received, again };
  const relisted = await listBatch(
    options,
    batch.filter((entry) => again.has(entry.path)),
    bytes,
  );
  return {
    at: receipt.at,
    actual: received.filter((entry) => !again.has(entry.path)).concat(relisted),
    again,
  };
}

export interface BatchCheck {
  /** Entries that differ because the source changed them (a live source; the final sync sends them). */
  changed: string[];
  /** Entries the receipt showed as the manifest has them: checked on arrival, nothing read back. */
  onArrival: number;
  /** Entries the receipt showed differently, listed and hashed again on the target. */
  listedAgain: number;
}

/**
 * Check the batch on the target (from its receipt when the extraction wrote one); entries that
 * differ are accepted only if the source changed too.
 */
export async function verifyBatch(
  options: VerifyOptions,
  batch: readonly ManifestEntry[],
  bytes: number,
  receipt?: Receipt,
): Promise<BatchCheck> {
  const { at, actual, again } = await observe(options, batch, bytes, receipt);
  const counts = {
    onArrival: receipt === undefined ? 0 : batch.length - again.size,
    listedAgain: again.size,
  };
  // Entries listed again are dated by that listing, not by the receipt's clock: left out.
  if (options.evidenceFile !== undefined)
    await appendEvidence(
      options.evidenceFile,
      evidenceOf(
        again.size === 0 ? actual : actual.filter((entry) => !again.has(entry.path)),
        options.target.host,
        options.hash,
        at,
      ),
    );
  const differing = mismatchedPaths(batch, actual);
  if (differing.length === 0) return { changed: [], ...counts };
  const collect = {
    mode: "list",
    hash: options.hash,
    signal: options.signal,
    timeoutMs: hashDeadlineMs(bytes),
    idleTimeoutMs: hashStallMs(largestFile(batch)),
  } as const;
  const sourceNow = await collectManifest(options.source, differing, collect);
  // Sets, not array scans: on a live source a whole batch of thousands can differ.
  const differs = new Set(differing);
  const targetNow = actual.filter((entry) => differs.has(entry.path));
  let stillWrong: string[];
  if (options.live) {
    const listed = canonicalLines(batch);
    const now = canonicalLines(sourceNow);
    stillWrong = differing.filter((path) => now.get(path) === listed.get(path));
  } else {
    const onSource = new Set(sourceNow.map((entry) => entry.path));
    const onTarget = new Set(targetNow.map((entry) => entry.path));
    stillWrong = mismatchedPaths(sourceNow, targetNow).concat(
      differing.filter((path) => !onSource.has(path) && onTarget.has(path)),
    );
  }
  if (stillWrong.length > 0) {
    throw new RemoteError(
      "remote",
      `${stillWrong.length} file(s) differ on ${options.target.host} after transfer, e.g. ${JSON.stringify(stillWrong[0])}`,
      { host: options.target.host, command: "verify batch", exitCode: null },
      {
        retryable: true,
        hint: "the batch is sent again on retry; if it keeps failing, check the target's disk",
      },
    );
  }
  return { changed: differing, ...counts };
}
