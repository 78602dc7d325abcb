/**
 * What the target already holds is not sent again. Before a transfer the target is listed
 * (metadata only, cheap); an entry whose type, size and mtime match the manifest is a
 * candidate, and a candidate file is then hashed ON THE TARGET with the workload's algorithm.
 * Only an entry whose whole canonical line (type, size, mode, owner, mtime, link target, hash,
 * hard-link group) equals the manifest's is "in place": anything else — same size and mtime but
 * other bytes, other permissions or owner — is sent as before, so the target ends up as the
 * source's either way. Directories are always sent (their metadata is restored last); extra
 * files on the target are left to the final sync, which deletes them as it always did.
 * A copy that lost sub-second mtimes makes candidates too (retime.ts): when the digest matches,
 * the mtime is set there instead of sending the file. A file an earlier check (or seed import)
 * hashed on the target and that is unchanged since, by its ctime and inode, is not hashed again
 * (target-evidence.ts).
 */

import { rm } from "node:fs/promises";
import { join } from "node:path";
import { collectToFile } from "../manifest/collect-file.ts";
import {
  canonicalLines,
  comparePaths,
  type HashAlgorithm,
  type ManifestEntry,
  totalBytes,
} from "../manifest/model.ts";
import { nulList } from "../manifest/script.ts";
import { mergeJoin, type Sorted } from "../manifest/sorted-file.ts";
import { readEntries } from "../manifest/store.ts";
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import { mtimeMatch, restoreMtimes } from "./retime.ts";
import { targetDigests } from "./target-digests.ts";
import {
  type EvidenceRecord,
  evidenceOf,
  evidenceSorted,
  vouchedDigest,
  writeEvidence,
} from "./target-evidence.ts";

export interface InPlaceOptions {
  target: Remote;
  /** Entries the transfer would send, in path order (the snapshot's manifest, read afresh each call). */
  entries: () => Sorted<ManifestEntry>;
  /** Where to list on the target: the workload's roots and the dump files. */
  roots: readonly string[];
  hash: HashAlgorithm;
  signal: AbortSignal;
  timeoutMs: number;
  /** Where digests computed on the target are kept for the next check (target-evidence.ts). */
  evidenceFile?: string;
  /** Where the target's listing and sort runs go (the workload's work directory). */
  workDir: string;
}

export interface InPlaceResult {
  /** Entries verified on the target (digest computed there), in path order: not sent. */
  inPlace: ManifestEntry[];
  /** Files whose size and mtime matched, so they needed a digest computed on the target. */
  candidates: number;
  /** Of those, files hashed now; the rest were vouched for by an earlier digest (unchanged since). */
  hashed: number;
  /** Files in place once their mtime, coarser on the target, was set to the manifest's. */
  retimed: number;
  filesInPlace: number;
  bytesInPlace: number;
  /** Where the check's time went, in ms: probing the target, listing it, hashing there, matching and setting mtimes. */
  phasesMs: { probe: number; list: number; hash: number; match: number };
}

/** At most this many hashing processes on the target at once. */
export const MAX_HASHERS = 4;

/**
 * The roots that exist on the host (a fresh target has none; listing a missing root fails), its
 * CPU count, which bounds how many hashing processes run there at once, and its clock before the
 * listing (what evidence of digests computed now is dated by).
 */
export async function probeTarget(
  remote: Remote,
  roots: readonly string[],
  signal: AbortSignal,
): Promise<{ roots: string[]; cpus: number; at: string }> {
  const found = await remote.check(
    sh`nproc 2>/dev/null || echo 1; date +%s.%N; xargs -0 -r sh -c 'for p; do if [ -e "$p" ] || [ -L "$p" ]; then printf "%s\\0" "$p"; fi; done' roots`,
    { stdin: nulList(roots), signal, timeoutMs: 30_000 },
  );
  const [cpus = "", at = "", ...rest] = found.stdout.split("\n");
  return {
    cpus: Number.parseInt(cpus, 10) || 1,
    at: at.trim(),
    roots: rest
      .join("\n")
      .split("\0")
      .filter((path) => path.length > 0),
  };
}

/**
 * Whether the target's entry is worth a digest: same type and size (and link count, so hard
 * links on either side are never assumed), and the same mtime, exactly or as a coarser copy keeps it.
 */
export function candidate(entry: ManifestEntry, there: ManifestEntry): "exact" | "coarse" | undefined {
  if (entry.type !== there.type || entry.size !== there.size) return undefined;
  if (entry.type === "file" && entry.nlink !== there.nlink) return undefined;
  const mtime = mtimeMatch(entry.mtime, there.mtime);
  return mtime === "none" ? undefined : mtime;
}

const byPath = {
  left: (entry: ManifestEntry) => entry.path,
  right: (entry: ManifestEntry) => entry.path,
  compare: comparePaths,
};

export async function findInPlace(options: InPlaceOptions): Promise<InPlaceResult> {
  const { target, signal } = options;
  const nothing = (): InPlaceResult => ({
    inPlace: [],
    candidates: 0,
    hashed: 0,
    retimed: 0,
    filesInPlace: 0,
    bytesInPlace: 0,
    phasesMs: { probe: 0, list: 0, hash: 0, match: 0 },
  });
  if (options.roots.length === 0) return nothing();
  let mark = performance.now();
  const lap = () => {
    const now = performance.now();
    const ms = Math.round(now - mark);
    mark = now;
    return ms;
  };
  const phasesMs = { probe: 0, list: 0, hash: 0, match: 0 };
  const { roots, cpus, at } = await probeTarget(target, options.roots, signal);
  if (roots.length === 0) return nothing();
  phasesMs.probe = lap();
  // Listed to a sorted file on disk and walked beside the manifest and the evidence: memory
  // holds the candidates (and hard-linked files), not the trees.
  const listingFile = join(options.workDir, "manifest-in-place-listing.jsonl.gz");
  const listing = {
    hash: "none",
    signal,
    timeoutMs: options.timeoutMs,
    workDir: options.workDir,
    digest: false,
  } as const;
  await collectToFile(target, roots, listing, listingFile, roots);
  phasesMs.list = lap();
  /** Manifest entries whose target copy is worth comparing, in path order. */
  const expected: ManifestEntry[] = [];
  /** Every hard-linked file of the manifest: a group is in place only whole. */
  const linked: ManifestEntry[] = [];
  /** Paths whose target mtime is coarser than the manifest's: the manifest's mtime and the target's entry. */
  const coarse = new Map<string, { mtime: string; listed: ManifestEntry }>();
  const toHash: ManifestEntry[] = [];
  // Target entries as compared with the manifest: a coarse mtime taken as the manifest's (the
  // digest decides, and the mtime is set before the entry counts as in place).
  const compared: ManifestEntry[] = [];
  const vouched: EvidenceRecord[] = [];
  const evidence =
    options.evidenceFile === undefined
      ? []
      : evidenceSorted(options.evidenceFile, options.workDir, target.host, options.hash);
  const sides = mergeJoin(mergeJoin(options.entries(), readEntries(listingFile), byPath), evidence, {
    left: (pair) => pair.key,
    right: (record) => record.path,
    compare: comparePaths,
  });
  try {
    for await (const { left: pair, right: record } of sides) {
      const entry = pair?.left;
      const listed = pair?.right;
      if (entry === undefined) continue;
      if (entry.type === "file" && entry.nlink > 1) linked.push(entry);
      if (entry.type === "dir") continue;
      const kind = listed && candidate(entry, listed);
      if (!listed || !kind) continue;
      expected.push(entry);
      if (kind === "coarse") coarse.set(entry.path, { mtime: entry.mtime, listed });
      const there = kind === "coarse" ? { ...listed, mtime: entry.mtime } : listed;
      if (there.type !== "file") {
        compared.push(there);
        continue;
      }
      const digest = vouchedDigest(listed, record);
      if (digest === undefined) toHash.push(listed);
      else {
        compared.push({ ...there, hash: digest });
        vouched.push(record!);
      }
    }
  } finally {
    await rm(listingFile, { force: true });
  }
  if (expected.length === 0) return nothing();
  // The digest is computed on the target from its own bytes: size and mtime only chose what to
  // hash. One hashing process per CPU there (each on its own channel), the bytes spread evenly.
  const digests = await targetDigests(target, toHash, {
    hash: options.hash,
    signal,
    timeoutMs: options.timeoutMs,
    width: Math.min(cpus, MAX_HASHERS),
  });
  phasesMs.hash = lap();
  const hashed = toHash.flatMap((listed) => {
    const digest = digests.get(listed.path);
    return digest === undefined ? [] : [{ ...listed, hash: digest }];
  });
  if (options.evidenceFile !== undefined)
    await writeEvidence(options.evidenceFile, [
      ...vouched,
      ...evidenceOf(hashed, target.host, options.hash, at),
    ]);
  for (const listed of hashed) {
    const mtime = coarse.get(listed.path)?.mtime;
    compared.push(mtime === undefined ? listed : { ...listed, mtime });
  }
  let matched = matchingPaths(expected, compared, linked);
  const retime = expected.filter((entry) => coarse.has(entry.path) && matched.has(entry.path));
  let retimed = 0;
  if (retime.length > 0) {
    const fixed = await restoreMtimes(target, retime, signal, options.timeoutMs);
    retimed = fixed.size;
    // A time that could not be set leaves the entry as the target lists it: it is sent.
    if (fixed.size < retime.length)
      matched = matchingPaths(
        expected,
        compared.map((there) =>
          coarse.has(there.path) && !fixed.has(there.path) ? coarse.get(there.path)!.listed : there,
        ),
        linked,
      );
  }
  const inPlace = expected.filter((entry) => matched.has(entry.path));
  return {
    inPlace,
    candidates: toHash.length + vouched.length,
    hashed: toHash.length,
    retimed,
    filesInPlace: inPlace.length,
    bytesInPlace: totalBytes(inPlace),
    phasesMs: { ...phasesMs, match: lap() },
  };
}

/**
 * Paths whose canonical line on the target equals the manifest's. A hard-link group counts as in
 * place only whole: tar recreates a link only when every name travels in the same archive.
 */
export function matchingPaths(
  expected: readonly ManifestEntry[],
  actual: readonly ManifestEntry[],
  /** The manifest's hard-linked files, when `expected` holds only some of its entries. */
  linked: readonly ManifestEntry[] = expected,
): Set<string> {
  const want = canonicalLines(expected);
  const have = canonicalLines(actual);
  const matched = new Set<string>();
  for (const entry of actual) if (want.get(entry.path) === have.get(entry.path)) matched.add(entry.path);
  const groups = new Map<string, string[]>();
  for (const entry of linked) {
    if (entry.type !== "file" || entry.nlink < 2) continue;
    const key = `${entry.dev}:${entry.ino}`;
    groups.set(key, [...(groups.get(key) ?? []), entry.path]);
  }
  for (const members of groups.values())
    if (members.some((path) => !matched.has(path))) for (const path of members) matched.delete(path);
  return matched;
}
