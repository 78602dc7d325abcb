/**
 * What a host found changed in its tree since a listing kept there (manifest/host-diff.ts), and
 * the snapshot patched with it: read by the final sync's join (final-join.ts) and by the writer
 * of the final manifest from the snapshot's kept lines (kept-manifest.ts).
 */
import { BugError } from "../errors.ts";
import { comparePaths, type ManifestEntry } from "../manifest/model.ts";
import { mergeJoin, type Sorted } from "../manifest/sorted-file.ts";
import type { Carried } from "../transfer/delta.ts";
import { isKept, type Kept } from "./snapshot-lines.ts";

/**
 * A tree's change since a listing kept on its host (manifest/host-diff.ts), read again in list
 * mode: its files hashed, attributes read. The source's is since the snapshot; the target's,
 * since the listing kept after the reconfigure, plus the paths doubtful then.
 */
export interface TreeChange {
  /** Every path whose record differs from the kept listing, on either side. */
  differs: ReadonlySet<string>;
  /** Those paths' entries now, in path order (a path gone since: none). */
  now: readonly ManifestEntry[];
}

/**
 * The snapshot patched with the change: an entry whose record did not change is the snapshot's
 * own (the quick check's rule, applied to the whole record); a changed one is its entry now. A
 * snapshot line kept ready (snapshot-lines.ts) passes as it is.
 */
export function patched(
  snapshot: Sorted<ManifestEntry>,
  change: TreeChange,
  gone?: (before: ManifestEntry) => void,
): AsyncGenerator<Carried>;
export function patched(
  snapshot: Sorted<ManifestEntry | Kept>,
  change: TreeChange,
  gone?: (before: ManifestEntry) => void,
): AsyncGenerator<Carried | Kept>;
export async function* patched(
  snapshot: Sorted<ManifestEntry | Kept>,
  change: TreeChange,
  /** Told each snapshot entry the source no longer has. */
  gone?: (before: ManifestEntry) => void,
): AsyncGenerator<Carried | Kept> {
  const byPath = {
    left: (item: ManifestEntry | Kept) => item.path,
    right: (entry: ManifestEntry) => entry.path,
    compare: comparePaths,
  };
  for await (const { left: item, right: now } of mergeJoin(snapshot, change.now, byPath)) {
    if (item !== undefined && isKept(item)) {
      if (now !== undefined) throw new BugError(`a kept snapshot line meets a change at ${item.path}`);
      yield item;
      continue;
    }
    const before = item;
    if (now !== undefined) yield before === undefined ? { entry: now } : { entry: now, before };
    else if (before !== undefined && !change.differs.has(before.path)) yield { entry: before, before };
    else if (before !== undefined) gone?.(before);
  }
}
