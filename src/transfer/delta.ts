/**
 * The final delta sync's decisions (pure). After the freeze the source is listed again without
 * hashing; a file whose size, mtime, ctime and inode are unchanged since the snapshot keeps its
 * snapshot hash (the quick check rsync and git use), the rest are hashed afresh. What the target
 * lacks or holds differently is sent; what the target holds that the source no longer has is
 * deleted — only inside the workload's paths, because only those were listed.
 */
import { canonicalLine, comparePaths, type ManifestEntry } from "../manifest/model.ts";
import { mergeJoin, type Sorted } from "../manifest/sorted-file.ts";
import type { GroupOf } from "../manifest/store.ts";

const byPath = {
  left: (e: ManifestEntry) => e.path,
  right: (e: ManifestEntry) => e.path,
  compare: comparePaths,
};

/**
 * The quick check: a file whose size, mtime, ctime, inode and device are all unchanged still
 * holds the bytes hashed before. ctime counts because a tool can set mtime back (touch -r,
 * tar, rsync -t) but nothing sets ctime back; the inode and device because a file replaced
 * by a rename keeps neither.
 */
export function unchanged(a: ManifestEntry, b: ManifestEntry): boolean {
  return (
    a.type === b.type &&
    a.size === b.size &&
    a.mtime === b.mtime &&
    a.ctime === b.ctime &&
    a.ino === b.ino &&
    a.dev === b.dev
  );
}

/** A listed entry, with the snapshot's entry of the same path (absent: new since the snapshot). */
export interface Carried {
  entry: ManifestEntry;
  before?: ManifestEntry;
}

/**
 * Listing entries (path order) with hashes carried over from `previous` (path order), each with
 * its previous entry; files that need hashing afresh come without a hash and their paths are
 * pushed to `needHash`.
 */
export async function* carried(
  previous: Sorted<ManifestEntry>,
  listing: Sorted<ManifestEntry>,
  needHash: string[],
  /** Told each previous entry the listing no longer has. */
  gone?: (before: ManifestEntry) => void,
): AsyncGenerator<Carried> {
  for await (const { left: old, right: entry } of mergeJoin(previous, listing, byPath)) {
    if (entry === undefined) {
      if (old !== undefined) gone?.(old);
      continue;
    }
    const before = old === undefined ? {} : { before: old };
    if (entry.type !== "file") yield { entry, ...before };
    else if (old?.hash !== undefined && unchanged(old, entry))
      yield { entry: { ...entry, hash: old.hash }, ...before };
    else {
      needHash.push(entry.path);
      yield { entry, ...before };
    }
  }
}

/** The entries of `carried`, without their previous ones. */
export async function* carryHashes(
  previous: Sorted<ManifestEntry>,
  listing: Sorted<ManifestEntry>,
  needHash: string[],
): AsyncGenerator<ManifestEntry> {
  for await (const { entry } of carried(previous, listing, needHash)) yield entry;
}

function metadataDiffers(source: ManifestEntry, target: ManifestEntry): boolean {
  return (
    source.type !== target.type ||
    (source.type !== "dir" && source.size !== target.size) ||
    source.mode !== target.mode ||
    source.uid !== target.uid ||
    source.gid !== target.gid ||
    source.mtime !== target.mtime ||
    (source.target ?? "") !== (target.target ?? "") ||
    (source.xattrs ?? "") !== (target.xattrs ?? "")
  );
}

export interface DeltaPlan {
  /** Entries to send (directories always: their metadata is restored after their contents change). */
  send: ManifestEntry[];
  /** Target paths to delete first: gone from the source, or of another type now. */
  remove: string[];
  /** Rewritten files the source changed since the snapshot: sent again, then rewritten again. */
  rewriteAgain: string[];
}

/**
 * What the final sync does, from three streams in path order: the source's final manifest, the
 * snapshot, and the target's listing. Memory holds the plan itself (the change, plus every
 * directory) and the hard-linked files, never the trees.
 */
export async function planDelta(
  final: Sorted<ManifestEntry>,
  snapshot: Sorted<ManifestEntry>,
  targetListing: Sorted<ManifestEntry>,
  rewritten: ReadonlySet<string>,
  exact?: ExactTarget,
): Promise<DeltaPlan> {
  const pairs = async function* () {
    for await (const { left: entry, right: before } of mergeJoin(final, snapshot, byPath))
      if (entry !== undefined) yield before === undefined ? { entry } : { entry, before };
  };
  return planDeltaOf(pairs(), targetListing, rewritten, exact);
}

/**
 * Hard-link groups of both sides, when the target's listing carries digests (vouched for by
 * evidence or hashed there): then an entry is left alone only when its whole canonical line on
 * the target equals the source's, so after the sync, with every sent entry verified, the target
 * equals the final manifest without listing it again.
 */
export interface ExactTarget {
  want: GroupOf;
  have: GroupOf;
}

/** A rewritten file as the target must hold it: its content fields are the target's own. */
export function rewrittenAs(entry: ManifestEntry, there: ManifestEntry): ManifestEntry {
  return { ...entry, hash: there.hash, size: there.size, mtime: there.mtime };
}

/**
 * `planDelta` from the final entries already paired with the snapshot's (`carried` as the final
 * manifest is written): one pass over the trees fewer inside the downtime.
 */
export async function planDeltaOf(
  finalPairs: AsyncIterable<Carried>,
  targetListing: Sorted<ManifestEntry>,
  rewritten: ReadonlySet<string>,
  exact?: ExactTarget,
): Promise<DeltaPlan> {
  const differs = (entry: ManifestEntry, there: ManifestEntry) =>
    canonicalLine(entry, exact!.want(entry)) !== canonicalLine(there, exact!.have(there));
  const chosen = new Map<string, ManifestEntry>();
  const rewriteAgain: string[] = [];
  const remove: string[] = [];
  // A hard-link group travels whole, or tar cannot link its members on the target.
  const groups = new Map<string, ManifestEntry[]>();
  const sides = mergeJoin(finalPairs, targetListing, {
    left: (pair) => pair.entry.path,
    right: (entry) => entry.path,
    compare: comparePaths,
  });
  for await (const { left: pair, right: there } of sides) {
    const entry = pair?.entry;
    if (entry === undefined) {
      if (there) remove.push(there.path);
      continue;
    }
    if (entry.type === "file" && entry.nlink >= 2) {
      const key = `${entry.dev}:${entry.ino}`;
      groups.set(key, [...(groups.get(key) ?? []), entry]);
    }
    if (entry.type === "dir") {
      if (there && there.type !== "dir") remove.push(entry.path);
      chosen.set(entry.path, entry);
      continue;
    }
    const before = pair?.before;
    if (rewritten.has(entry.path)) {
      // Exact: a rewritten copy the target no longer holds as rewritten is sent and rewritten again.
      const lost = exact !== undefined && (!there || differs(rewrittenAs(entry, there), there));
      if (before === undefined || canonicalLine(before) !== canonicalLine(entry) || lost) {
        chosen.set(entry.path, entry);
        rewriteAgain.push(entry.path);
      }
      continue;
    }
    if (there && there.type !== entry.type) remove.push(entry.path);
    const send = exact
      ? !there || differs(entry, there)
      : !there || metadataDiffers(entry, there) || before?.hash !== entry.hash;
    if (send) chosen.set(entry.path, entry);
  }
  for (const members of groups.values()) {
    if (members.some((member) => chosen.has(member.path)))
      for (const member of members) chosen.set(member.path, member);
  }
  const send = [...chosen.values()].sort((a, b) => comparePaths(a.path, b.path));
  return { send, remove, rewriteAgain };
}

/** Every path must lie inside one of the roots: deletion never leaves the workload's paths. */
export function insideRoots(path: string, roots: readonly string[]): boolean {
  return roots.some((root) => path === root || path.startsWith(root.endsWith("/") ? root : `${root}/`));
}
