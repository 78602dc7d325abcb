/**
 * The target side of the in-place check, run while the snapshot hashes the source. On a first
 * look at a hand-copied target (no evidence yet) the in-place check would hash the whole copy
 * on the target after the snapshot, where rsync reads none of it; done here, concurrently with
 * the source's hashing, the transfer's check then finds the files vouched for by evidence and
 * hashes only what changed since (target-evidence.ts). Read-only on the target: it lists and
 * hashes with the same tool and algorithm as the check (target-digests.ts); a missing root is
 * simply no evidence. Nothing is decided here — the check still compares each digest computed
 * on the target with the manifest's, so a file with the source's size and mtime but other bytes
 * is still sent.
 */
import { collectManifest } from "../manifest/collect.ts";
import { type HashAlgorithm, totalBytes } from "../manifest/model.ts";
import { hashDeadlineMs } from "../remote/deadline.ts";
import type { Remote } from "../remote/types.ts";
import { MAX_HASHERS, probeTarget } from "./in-place.ts";
import { targetDigests } from "./target-digests.ts";
import { appendEvidence, evidenceOf, readEvidence, vouchedDigest } from "./target-evidence.ts";

export interface PreHashOptions {
  target: Remote;
  /** The workload's paths, as the snapshot lists them on the source. */
  roots: readonly string[];
  hash: HashAlgorithm;
  signal: AbortSignal;
  /** Deadline of the listing (the hashing's follows the bytes listed). */
  timeoutMs: number;
  evidenceFile: string;
}

export interface PreHashResult {
  /** Regular files listed on the target under the roots. */
  files: number;
  /** Of those, files hashed now; the rest were vouched for by earlier evidence. */
  hashed: number;
  bytesHashed: number;
  ms: number;
}

export async function preHashTarget(options: PreHashOptions): Promise<PreHashResult> {
  const { target, signal } = options;
  const t0 = performance.now();
  const result = (files: number, hashed: number, bytesHashed: number): PreHashResult => ({
    files,
    hashed,
    bytesHashed,
    ms: Math.round(performance.now() - t0),
  });
  if (options.roots.length === 0) return result(0, 0, 0);
  const [{ roots, cpus, at }, evidence] = await Promise.all([
    probeTarget(target, options.roots, signal),
    readEvidence(options.evidenceFile, target.host, options.hash),
  ]);
  if (roots.length === 0) return result(0, 0, 0);
  const listing = await collectManifest(target, roots, {
    mode: "tree",
    hash: "none",
    signal,
    timeoutMs: options.timeoutMs,
  });
  const files = listing.filter((entry) => entry.type === "file");
  const toHash = files.filter((entry) => vouchedDigest(entry, evidence.get(entry.path)) === undefined);
  if (toHash.length === 0) return result(files.length, 0, 0);
  const bytes = totalBytes(toHash);
  const digests = await targetDigests(target, toHash, {
    hash: options.hash,
    signal,
    timeoutMs: hashDeadlineMs(bytes),
    width: Math.min(cpus, MAX_HASHERS),
  });
  const hashed = toHash.flatMap((entry) => {
    const digest = digests.get(entry.path);
    return digest === undefined ? [] : [{ ...entry, hash: digest }];
  });
  // Appended: records for paths outside these roots (dump files) stay, and a later record wins.
  await appendEvidence(options.evidenceFile, evidenceOf(hashed, target.host, options.hash, at));
  return result(files.length, hashed.length, totalBytes(hashed));
}
