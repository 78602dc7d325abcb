/**
 * What the target already holds is not sent again. Before a transfer the target is listed
 * (metadata only, cheap); an entry whose type, size and mtime match the manifest is a
 * candidate, and a candidate file is then hashed ON THE TARGET with the workload's algorithm.
 * Only an entry whose whole canonical line (type, size, mode, owner, mtime, link target, hash,
 * hard-link group) equals the manifest's is "in place": anything else — same size and mtime but
 * other bytes, other permissions or owner — is sent as before, so the target ends up as the
 * source's either way. Directories are always sent (their metadata is restored last); extra
 * files on the target are left to the final sync, which deletes them as it always did.
 */

import { collectManifest } from "../manifest/collect.ts";
import { canonicalLines, type HashAlgorithm, type ManifestEntry, totalBytes } from "../manifest/model.ts";
import { nulList } from "../manifest/script.ts";
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import { targetDigests } from "./target-digests.ts";

export interface InPlaceOptions {
  target: Remote;
  /** Entries the transfer would send: the snapshot manifest plus database dumps. */
  entries: readonly ManifestEntry[];
  /** Where to list on the target: the workload's roots and the dump files. */
  roots: readonly string[];
  hash: HashAlgorithm;
  signal: AbortSignal;
  timeoutMs: number;
}

export interface InPlaceResult {
  /** Entries verified on the target (digest computed there): not sent. */
  inPlace: ManifestEntry[];
  /** Everything else, in the manifest's order: sent as before. */
  send: ManifestEntry[];
  /** Files whose size and mtime matched, so they were hashed on the target. */
  candidates: number;
  filesInPlace: number;
  bytesInPlace: number;
}

/** At most this many hashing processes on the target at once. */
const MAX_HASHERS = 4;

/**
 * The roots that exist on the host (a fresh target has none; listing a missing root fails),
 * and its CPU count, which bounds how many hashing processes run there at once.
 */
async function probeTarget(
  remote: Remote,
  roots: readonly string[],
  signal: AbortSignal,
): Promise<{ roots: string[]; cpus: number }> {
  const found = await remote.check(
    sh`nproc 2>/dev/null || echo 1; xargs -0 -r sh -c 'for p; do if [ -e "$p" ] || [ -L "$p" ]; then printf "%s\\0" "$p"; fi; done' roots`,
    { stdin: nulList(roots), signal, timeoutMs: 30_000 },
  );
  const newline = found.stdout.indexOf("\n");
  return {
    cpus: Number.parseInt(found.stdout.slice(0, newline), 10) || 1,
    roots: found.stdout
      .slice(newline + 1)
      .split("\0")
      .filter((path) => path.length > 0),
  };
}

/** Same type, size and mtime (and link count, so hard links on either side are never assumed). */
function looksSame(entry: ManifestEntry, there: ManifestEntry): boolean {
  return (
    entry.type === there.type &&
    entry.size === there.size &&
    entry.mtime === there.mtime &&
    (entry.type !== "file" || entry.nlink === there.nlink)
  );
}

export async function findInPlace(options: InPlaceOptions): Promise<InPlaceResult> {
  const { target, entries, signal } = options;
  const nothing = (): InPlaceResult => ({
    inPlace: [],
    send: [...entries],
    candidates: 0,
    filesInPlace: 0,
    bytesInPlace: 0,
  });
  if (options.roots.length === 0) return nothing();
  const { roots, cpus } = await probeTarget(target, options.roots, signal);
  if (roots.length === 0) return nothing();
  const listing = await collectManifest(target, roots, {
    mode: "tree",
    hash: "none",
    signal,
    timeoutMs: options.timeoutMs,
  });
  const onTarget = new Map(listing.map((entry) => [entry.path, entry]));
  const toHash: ManifestEntry[] = [];
  const unhashed: ManifestEntry[] = [];
  for (const entry of entries) {
    if (entry.type === "dir") continue;
    const there = onTarget.get(entry.path);
    if (!there || !looksSame(entry, there)) continue;
    if (entry.type === "file") toHash.push(entry);
    else unhashed.push(there);
  }
  if (toHash.length + unhashed.length === 0) return nothing();
  // The digest is computed on the target from its own bytes: size and mtime only chose what to
  // hash. One hashing process per CPU there (each on its own channel), the bytes spread evenly.
  const digests = await targetDigests(
    target,
    toHash.map((entry) => onTarget.get(entry.path)!),
    { hash: options.hash, signal, timeoutMs: options.timeoutMs, width: Math.min(cpus, MAX_HASHERS) },
  );
  const hashed = toHash.flatMap((entry) => {
    const digest = digests.get(entry.path);
    return digest === undefined ? [] : [{ ...onTarget.get(entry.path)!, hash: digest }];
  });
  const matched = matchingPaths(entries, [...hashed, ...unhashed]);
  const inPlace: ManifestEntry[] = [];
  const send: ManifestEntry[] = [];
  for (const entry of entries) (matched.has(entry.path) ? inPlace : send).push(entry);
  return {
    inPlace,
    send,
    candidates: toHash.length,
    filesInPlace: inPlace.length,
    bytesInPlace: totalBytes(inPlace),
  };
}

/**
 * Paths whose canonical line on the target equals the manifest's. A hard-link group counts as in
 * place only whole: tar recreates a link only when every name travels in the same archive.
 */
export function matchingPaths(
  expected: readonly ManifestEntry[],
  actual: readonly ManifestEntry[],
): Set<string> {
  const want = canonicalLines(expected);
  const have = canonicalLines(actual);
  const matched = new Set<string>();
  for (const entry of actual) if (want.get(entry.path) === have.get(entry.path)) matched.add(entry.path);
  const groups = new Map<string, string[]>();
  for (const entry of expected) {
    if (entry.type !== "file" || entry.nlink < 2) continue;
    const key = `${entry.dev}:${entry.ino}`;
    groups.set(key, [...(groups.get(key) ?? []), entry.path]);
  }
  for (const members of groups.values())
    if (members.some((path) => !matched.has(path))) for (const path of members) matched.delete(path);
  return matched;
}
