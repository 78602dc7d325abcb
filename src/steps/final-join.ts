/**
 * The final sync's plan in one pass over the trees (unless the target is hashed whole after it:
 * final-sync.ts). The snapshot (its digest checked as it passes), the source's listing, the
 * target's listing and the evidence of what was hashed there are read together, once, in path
 * order. An entry whose final form and target form are both known — neither hashed afresh, nor
 * hard-linked, nor rewritten — is decided at once by comparing whole canonical lines, and its
 * final manifest line is kept serialized in a scratch file; the rest (the change, unvouched
 * target files, hard links, rewrites: memory holds them) waits for the hashes. After hashing,
 * the final manifest is written from the scratch file without parsing it again. When both hosts
 * compared their trees, the source's change arrives hashed and the snapshot's hard links are
 * known from its check, so the final manifest is written in the pass itself, no scratch file:
 * one pass over a million lines instead of three (write, read, write) under the freeze.
 *
 * The decisions are planDeltaOf's for an exact target (transfer/delta.ts), which the full
 * verification's path still uses; test/unit/steps/final-join.test.ts compares the two.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { BugError } from "../errors.ts";
import { canonicalLine, comparePaths, type Manifest, type ManifestEntry } from "../manifest/model.ts";
import { LineWriter, mergeJoin, readLines, type Sorted } from "../manifest/sorted-file.ts";
import {
  type GroupOf,
  linkCandidate,
  linkGroupsOf,
  type ManifestSummary,
  ManifestWriter,
  readEntries,
} from "../manifest/store.ts";
import { type Carried, carried, type DeltaPlan, rewrittenAs } from "../transfer/delta.ts";
import { type EvidenceRecord, vouchedEntries } from "../transfer/target-evidence.ts";
import { isKept, type Kept, type SnapshotLines, snapshotItems } from "./snapshot-lines.ts";

/** An entry decided only once the hashes are in. */
interface Waiting {
  /** The final entry as listed (without a hash when it is hashed afresh). */
  entry: ManifestEntry;
  before?: ManifestEntry;
  /** The target's entry, its digest vouched for (none: hashed there now). */
  there?: ManifestEntry;
}

/** What the join found; `finish` writes the final manifest and completes the plan. */
export interface JoinedTrees {
  /** Source paths whose stat changed since the snapshot: hashed afresh. */
  needHash: string[];
  changed: ManifestEntry[];
  /** Target files no evidence vouches for: hashed there. */
  unvouched: ManifestEntry[];
  finish(
    fresh: ReadonlyMap<string, ManifestEntry>,
    targetHashes: ReadonlyMap<string, string>,
  ): Promise<{ delta: DeltaPlan; summary: ManifestSummary }>;
}

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
  const byPath = { left: (item: ManifestEntry | Kept) => item.path, right: path, compare: comparePaths };
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

const path = (entry: ManifestEntry) => entry.path;

const sizeOf = (entry: ManifestEntry) => (entry.type === "file" ? entry.size : undefined);

/**
 * Join the trees (see the top of the file). The snapshot's digest mismatch throws after its
 * last entry, before this returns: nothing has changed anywhere by then.
 */
export async function joinTrees(options: {
  snapshot: AsyncIterable<ManifestEntry>;
  /**
   * The snapshot's lines kept as its digest was checked (snapshot-lines.ts): read instead of
   * `snapshot` when both hosts compared their trees, and the final manifest is then written in
   * the join's one pass.
   */
  snapshotLines?: Pick<SnapshotLines, "file" | "linked">;
  /** The source's listing (a file), or what its host found changed since the snapshot. */
  sourceListing: string | TreeChange;
  /**
   * The target's listing (a file, read with the evidence), or what its host found changed since
   * its kept listing (steps/target-kept.ts): elsewhere the target holds the snapshot's entry.
   */
  targetListing: string | TreeChange;
  evidence: Sorted<EvidenceRecord>;
  rewritten: ReadonlySet<string>;
  workDir: string;
  finalFile: string;
  header: Pick<Manifest, "hash" | "roots">;
}): Promise<JoinedTrees> {
  const needHash: string[] = [];
  const changed: ManifestEntry[] = [];
  const unvouched: ManifestEntry[] = [];
  // The target's hard-linked files as listed: their groups.
  const targetLinked: ManifestEntry[] = [];
  // Final entries kept in memory, in path order: the changed and the hard-linked ones.
  const held: ManifestEntry[] = [];
  const waiting: Waiting[] = [];
  const chosen = new Map<string, ManifestEntry>();
  const remove: string[] = [];
  // Compared on the target's host, a path it did not find changed holds the snapshot's entry
  // there: one the source no longer has is deleted there.
  const targetChange = typeof options.targetListing === "string" ? undefined : options.targetListing;
  const goneFromSource = (before: ManifestEntry) => {
    if (targetChange && !targetChange.differs.has(before.path)) remove.push(before.path);
  };
  const { sourceListing, snapshotLines } = options;
  // Both hosts compared: a path neither found changed stays a kept line (a rewritten file is
  // doubtful on the target, so its host reports it), and every entry's final form is known in
  // the pass (the source's change came hashed), so the final manifest is written as it goes.
  const direct =
    snapshotLines !== undefined && targetChange !== undefined && typeof sourceListing !== "string"
      ? { lines: snapshotLines, change: sourceListing }
      : undefined;
  const snapshot = direct
    ? snapshotItems(
        direct.lines.file,
        (at) => targetChange!.differs.has(at) || direct.change.differs.has(at),
        [...direct.change.now, ...targetChange!.now].map(path).sort(comparePaths),
      )
    : options.snapshot;
  let want: GroupOf | undefined;
  let writer: ManifestWriter | undefined;
  let summary: ManifestSummary | undefined;
  // The changed files with their fresh entries; one gone since it was listed is left out.
  let hashedNow: ReadonlyMap<string, ManifestEntry> = new Map();
  const now = (entry: ManifestEntry) =>
    entry.type === "file" && entry.hash === undefined ? hashedNow.get(entry.path) : entry;
  if (direct) {
    // The final manifest's hard-linked files: the snapshot's the source did not change, and
    // those it lists now.
    const linked = [
      ...direct.lines.linked.filter((entry) => !direct.change.differs.has(entry.path)),
      ...direct.change.now.filter(linkCandidate),
    ].sort((a, b) => comparePaths(a.path, b.path));
    want = await linkGroupsOf(linked);
    writer = new ManifestWriter(options.finalFile, options.header, want);
    hashedNow = new Map(direct.change.now.filter((entry) => entry.type === "file").map((e) => [e.path, e]));
  }
  const scratchFile = join(options.workDir, "final-sync-lines.tmp");
  const scratch = direct ? undefined : new LineWriter(scratchFile, 0);
  const sides = mergeJoin(
    typeof sourceListing === "string"
      ? carried(options.snapshot, readEntries(sourceListing), needHash, goneFromSource)
      : patched(snapshot, sourceListing, goneFromSource),
    typeof options.targetListing === "string"
      ? vouchedEntries(readEntries(options.targetListing), options.evidence, unvouched)
      : options.targetListing.now,
    {
      left: (item: Carried | Kept) => (isKept(item) ? item.path : item.entry.path),
      right: path,
      compare: comparePaths,
    },
  );
  let last = "";
  const inOrder = (path: string) => {
    if (last !== "" && comparePaths(last, path) >= 0)
      throw new Error(`listing out of order: ${JSON.stringify(path)} after ${JSON.stringify(last)}`);
    last = path;
  };
  try {
    for await (const { left: pair, right: listed } of sides) {
      // Neither host changed them: the snapshot's lines go to the final manifest as they are.
      if (pair !== undefined && isKept(pair)) {
        if (listed !== undefined) throw new BugError(`a kept snapshot line meets a change at ${pair.path}`);
        inOrder(pair.path);
        await writer!.addRow(pair);
        continue;
      }
      // A path the target's host found unchanged, and not doubtful, holds the snapshot's entry.
      const same = targetChange && pair?.before && !targetChange.differs.has(pair.before.path);
      const there = listed ?? (same ? pair.before : undefined);
      if (there && linkCandidate(there)) targetLinked.push(there);
      if (pair === undefined) {
        if (there) remove.push(there.path);
        continue;
      }
      const { entry, before } = pair;
      inOrder(entry.path);
      const fresh = entry.type === "file" && entry.hash === undefined;
      if (fresh) changed.push(entry);
      let line: string | undefined;
      if (fresh || linkCandidate(entry)) {
        held.push(entry);
        const final = writer && now(entry);
        if (final)
          await writer!.addLine(JSON.stringify(final), canonicalLine(final, want!(final)), sizeOf(final));
        else await scratch?.write("-");
      } else {
        line = canonicalLine(entry);
        const json = JSON.stringify(entry);
        const size = sizeOf(entry);
        if (writer) await writer.addLine(json, line, size);
        else await scratch!.write(`${size ?? ""}\t${line}\t${json}`);
      }
      if (entry.type === "dir") {
        if (there && there.type !== "dir") remove.push(entry.path);
        chosen.set(entry.path, entry);
      } else if (
        line === undefined ||
        options.rewritten.has(entry.path) ||
        (there && ((there.type === "file" && there.hash === undefined) || linkCandidate(there)))
      )
        waiting.push({ entry, ...(before ? { before } : {}), ...(there ? { there } : {}) });
      else {
        if (there && there.type !== entry.type) remove.push(entry.path);
        if (!there || canonicalLine(there) !== line) chosen.set(entry.path, entry);
      }
    }
    if (writer) summary = await writer.close();
  } catch (error) {
    await writer?.discard();
    await scratch?.close().catch(() => {});
    await rm(scratchFile, { force: true });
    throw error;
  }
  await scratch?.close();
  /** The final manifest from the scratch file, the held entries in their places. */
  const writeFinal = async (): Promise<ManifestSummary> => {
    want = await linkGroupsOf(held.flatMap((entry) => now(entry) ?? []).filter(linkCandidate));
    const writer = new ManifestWriter(options.finalFile, options.header, want);
    let next = 0;
    try {
      for await (const text of readLines(scratchFile)) {
        if (text === "-") {
          const entry = now(held[next++]!);
          if (entry === undefined) continue;
          await writer.addLine(JSON.stringify(entry), canonicalLine(entry, want(entry)), sizeOf(entry));
          continue;
        }
        const tab = text.indexOf("\t");
        const json = text.indexOf("\t", tab + 1);
        const size = tab === 0 ? undefined : Number(text.slice(0, tab));
        await writer.addLine(text.slice(json + 1), text.slice(tab + 1, json), size);
      }
    } finally {
      await rm(scratchFile, { force: true });
    }
    return writer.close();
  };
  const finish: JoinedTrees["finish"] = async (hashed, targetHashes) => {
    if (!direct) hashedNow = hashed;
    const written = summary ?? (await writeFinal());
    const groupOf = want!;
    const have = await linkGroupsOf(targetLinked);
    const differs = (entry: ManifestEntry, there: ManifestEntry) =>
      canonicalLine(entry, groupOf(entry)) !== canonicalLine(there, have(there));
    const rewriteAgain: string[] = [];
    for (const { entry: listed, before, there: vouchedThere } of waiting) {
      const entry = now(listed);
      const hashed = vouchedThere && targetHashes.get(vouchedThere.path);
      const there = hashed === undefined ? vouchedThere : { ...vouchedThere!, hash: hashed };
      if (entry === undefined) {
        if (there) remove.push(there.path);
        continue;
      }
      if (options.rewritten.has(entry.path)) {
        // A rewritten copy the target no longer holds as rewritten is sent and rewritten again.
        const lost = !there || differs(rewrittenAs(entry, there), there);
        if (before === undefined || canonicalLine(before) !== canonicalLine(entry) || lost) {
          chosen.set(entry.path, entry);
          rewriteAgain.push(entry.path);
        }
        continue;
      }
      if (there && there.type !== entry.type) remove.push(entry.path);
      if (!there || differs(entry, there)) chosen.set(entry.path, entry);
    }
    // A hard-link group travels whole, or tar cannot link its members on the target.
    const groups = new Map<string, ManifestEntry[]>();
    for (const entry of held) {
      const final = now(entry);
      if (final === undefined || !linkCandidate(final)) continue;
      const key = `${final.dev}:${final.ino}`;
      groups.set(key, [...(groups.get(key) ?? []), final]);
    }
    for (const members of groups.values())
      if (members.some((member) => chosen.has(member.path)))
        for (const member of members) chosen.set(member.path, member);
    const send = [...chosen.values()].sort((a, b) => comparePaths(a.path, b.path));
    remove.sort(comparePaths);
    return { delta: { send, remove, rewriteAgain }, summary: written };
  };
  return { needHash, changed, unvouched, finish };
}
