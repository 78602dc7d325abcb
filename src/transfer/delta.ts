/**
 * The final delta sync's decisions (pure). After the freeze the source is listed again without
 * hashing; a file whose size, mtime, ctime and inode are unchanged since the snapshot keeps its
 * snapshot hash (the quick check rsync and git use), the rest are hashed afresh. What the target
 * lacks or holds differently is sent; what the target holds that the source no longer has is
 * deleted — only inside the workload's paths, because only those were listed.
 */
import { canonicalLines, type ManifestEntry } from "../manifest/model.ts";

/** Same type, size, mtime, ctime and identity: by the quick-check rule, the same content. */
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

/** Listing entries with hashes carried over from `previous`; `needHash` lists files to hash. */
export function carryHashes(
  previous: readonly ManifestEntry[],
  listing: readonly ManifestEntry[],
): { entries: ManifestEntry[]; needHash: string[] } {
  const before = new Map(previous.map((entry) => [entry.path, entry]));
  const needHash: string[] = [];
  const entries = listing.map((entry) => {
    if (entry.type !== "file") return entry;
    const old = before.get(entry.path);
    if (old?.hash !== undefined && unchanged(old, entry)) return { ...entry, hash: old.hash };
    needHash.push(entry.path);
    return entry;
  });
  return { entries, needHash };
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

export function planDelta(
  final: readonly ManifestEntry[],
  snapshot: readonly ManifestEntry[],
  targetListing: readonly ManifestEntry[],
  rewritten: ReadonlySet<string>,
): DeltaPlan {
  const base = canonicalLines(snapshot);
  const now = canonicalLines(final);
  const onTarget = new Map(targetListing.map((entry) => [entry.path, entry]));
  const snapshotHash = new Map(snapshot.map((entry) => [entry.path, entry.hash]));
  const chosen = new Set<string>();
  const rewriteAgain: string[] = [];
  const remove: string[] = [];

  for (const entry of final) {
    if (entry.type === "dir") {
      const there = onTarget.get(entry.path);
      if (there && there.type !== "dir") remove.push(entry.path);
      chosen.add(entry.path);
      continue;
    }
    const changedAtSource = base.get(entry.path) !== now.get(entry.path);
    if (rewritten.has(entry.path)) {
      if (changedAtSource) {
        chosen.add(entry.path);
        rewriteAgain.push(entry.path);
      }
      continue;
    }
    const there = onTarget.get(entry.path);
    if (there && there.type !== entry.type) remove.push(entry.path);
    if (!there || metadataDiffers(entry, there) || snapshotHash.get(entry.path) !== entry.hash)
      chosen.add(entry.path);
  }

  // A hard-link group travels whole, or tar cannot link its members on the target.
  const groups = new Map<string, ManifestEntry[]>();
  for (const entry of final) {
    if (entry.type !== "file" || entry.nlink < 2) continue;
    const key = `${entry.dev}:${entry.ino}`;
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  for (const members of groups.values()) {
    if (members.some((member) => chosen.has(member.path)))
      for (const member of members) chosen.add(member.path);
  }

  const present = new Set(final.map((entry) => entry.path));
  for (const entry of targetListing) if (!present.has(entry.path)) remove.push(entry.path);
  return { send: final.filter((entry) => chosen.has(entry.path)), remove, rewriteAgain };
}

/** Every path must lie inside one of the roots: deletion never leaves the workload's paths. */
export function insideRoots(path: string, roots: readonly string[]): boolean {
  return roots.some((root) => path === root || path.startsWith(root.endsWith("/") ? root : `${root}/`));
}
