/**
 * The final delta sync of the files inside the cutover, with the source frozen (its databases:
 * final-databases.ts). List both hosts once, hash on the source only what changed since the
 * snapshot and on the target only what no evidence vouches for, delete on the target what the
 * source no longer has, send what differs there, re-apply rewrites the source changed.
 */

import { rm } from "node:fs/promises";
import { join } from "node:path";
import { BugError } from "../errors.ts";
import type { ManifestEntry } from "../manifest/model.ts";
import { nulList } from "../manifest/script.ts";
import { linkGroupsOf, type ManifestSummary, ManifestWriter, readEntries } from "../manifest/store.ts";
import { hashDeadlineMs } from "../remote/deadline.ts";
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import {
  type Carried,
  carried,
  carryHashes,
  type DeltaPlan,
  insideRoots,
  planDeltaOf,
} from "../transfer/delta.ts";
import { syncEntries } from "../transfer/sync.ts";
import { EVIDENCE_FILE, evidenceSorted } from "../transfer/target-evidence.ts";
import type { FinalFiles } from "./cutover-checkpoint.ts";
import { joinTrees } from "./final-join.ts";
import { hashChanged, listSource, listTarget, type SourceSide, type TargetSide } from "./final-listings.ts";
import type { CutoverInput } from "./inputs.ts";
import { rewriteBackupDir } from "./reconfigure.ts";
import { rewriteFile } from "./rewrite.ts";
import { SnapshotLines } from "./snapshot-lines.ts";
import { latestManifestFile, type ManifestFile, manifestPath, savedDurably } from "./support.ts";
import { syncedTree } from "./synced-tree.ts";
import { hashOnTarget, type TreeComparison } from "./target-tree.ts";
import type { StepContext } from "./types.ts";

/** Fresh hashes for the changed files, in path order; a file gone meanwhile has none and is left out. */
async function* withFresh(
  pairs: AsyncIterable<Carried>,
  fresh: ReadonlyMap<string, ManifestEntry>,
): AsyncGenerator<Carried> {
  for await (const pair of pairs) {
    if (pair.entry.type !== "file" || pair.entry.hash !== undefined) yield pair;
    else {
      const hashed = fresh.get(pair.entry.path);
      if (hashed) yield { ...pair, entry: hashed };
    }
  }
}

/** The pairs of `pairs`, each entry written to `writer` as it passes. */
async function* writing(pairs: AsyncIterable<Carried>, writer: ManifestWriter): AsyncGenerator<Carried> {
  for await (const pair of pairs) {
    await writer.add(pair.entry);
    yield pair;
  }
}

/** What the two ways of planning return: the plan, the final manifest's totals, the fresh hashes. */
interface Planned {
  delta: DeltaPlan;
  summary: ManifestSummary;
  fresh: ReadonlyMap<string, ManifestEntry>;
  filesHashed: number;
  /** Target files hashed there because no evidence vouched for them (exact plans only). */
  unvouched?: number;
}

interface Sides {
  input: CutoverInput;
  context: StepContext;
  source: Remote;
  target: Remote;
  sourceFile: string;
  sourceSide: SourceSide;
  targetFile: string;
  /** The target as listed (written to `targetFile` unless compared on its host). */
  targetListed: Promise<TargetSide>;
  finalFile: string;
  rewritten: ReadonlySet<string>;
  /** The snapshot's lines kept as its digest was checked (snapshot-lines.ts), if they were. */
  snapshotLines?: SnapshotLines;
}

/**
 * The target's listing joined with the evidence, the rest hashed there, so an entry is left
 * alone only when its whole canonical line there equals the final manifest's (final-join.ts).
 */
async function planExact(sides: Sides, snapshot: ManifestFile): Promise<Planned> {
  const { input, context, source, target } = sides;
  const targetSide = await sides.targetListed;
  const joined = await joinTrees({
    snapshot: snapshot.entries(),
    sourceListing: sides.sourceSide.listing,
    targetListing: targetSide.listing,
    evidence: evidenceSorted(join(context.workDir, EVIDENCE_FILE), context.workDir, target.host, input.hash),
    rewritten: sides.rewritten,
    workDir: context.workDir,
    finalFile: sides.finalFile,
    header: { hash: input.hash, roots: input.paths },
    ...(sides.snapshotLines === undefined ? {} : { snapshotLines: sides.snapshotLines }),
  });
  // Both hosts hash at once: the source what changed, the target what no evidence vouches for.
  const [hashed, targetHashes] = await Promise.all([
    hashChanged(source, joined.needHash, joined.changed, input.hash, context.signal),
    hashOnTarget(target, joined.unvouched, input.hash, context.signal),
  ]);
  const fresh = new Map([...sides.sourceSide.fresh, ...hashed.map((entry) => [entry.path, entry] as const)]);
  const { delta, summary } = await joined.finish(fresh, targetHashes);
  const filesHashed = sides.sourceSide.filesHashed + joined.needHash.length;
  const unvouched = joined.unvouched.length + targetSide.filesHashed;
  return { delta, summary, fresh, filesHashed, unvouched };
}

/**
 * `verify: { full: true }` hashes the whole target after the sync: the plan compares the
 * metadata listed there and what the source changed since the snapshot, as before evidence.
 */
async function planAgainstListing(sides: Sides, snapshot: ManifestFile): Promise<Planned> {
  const { input, context, source } = sides;
  // Only what the stat evidence says changed since the snapshot is hashed (rsync's and git's
  // quick check); the rest keeps its snapshot hash.
  const needHash: string[] = [];
  const changed: ManifestEntry[] = [];
  // The hard-linked files as listed: their groups let the final manifest be digested as it is
  // written, instead of read twice more.
  const linked: ManifestEntry[] = [];
  for await (const entry of carryHashes(snapshot.entries(), readEntries(sides.sourceFile), needHash)) {
    if (entry.type === "file" && entry.hash === undefined) changed.push(entry);
    if (entry.type === "file" && entry.nlink > 1) linked.push(entry);
  }
  const hashed = await hashChanged(source, needHash, changed, input.hash, context.signal);
  const fresh = new Map(hashed.map((entry) => [entry.path, entry]));
  await sides.targetListed;
  // A file that vanished between listing and hashing is left out, like in the snapshot; if it
  // was hard-linked, the groups are read from the written file instead.
  const gone = (entry: ManifestEntry) => entry.hash === undefined && !fresh.has(entry.path);
  const writer = new ManifestWriter(
    sides.finalFile,
    { hash: input.hash, roots: input.paths },
    linked.some(gone) || (await linkGroupsOf(linked)),
  );
  // One pass writes the final manifest and plans the delta against the target's listing.
  const delta = await planDeltaOf(
    writing(withFresh(carried(snapshot.entries(), readEntries(sides.sourceFile), []), fresh), writer),
    readEntries(sides.targetFile),
    sides.rewritten,
  );
  return { delta, summary: await writer.close(), fresh, filesHashed: needHash.length };
}

export async function syncFiles(
  input: CutoverInput,
  context: StepContext,
  source: Remote,
  target: Remote,
  /** `verify: { full: true }`: the target is hashed whole after the sync, so plan as before. */
  full = false,
): Promise<{ files: FinalFiles; manifest: string; totals: ManifestSummary; tree?: TreeComparison }> {
  const { signal } = context;
  // The downtime clock runs: both hosts list at once (metadata only; compared there, or each
  // to a sorted file on disk).
  const treeBytes = context.outputsOf("snapshot")?.bytes ?? 0;
  const targetFile = await manifestPath(context, "listing-target");
  const targetListed = listTarget(input, context, target, targetFile, full);
  targetListed.catch(() => {});
  const sourceFile = await manifestPath(context, "listing-source");
  const sourceListed = listSource(input, context, source, sourceFile, full);
  sourceListed.catch(() => {});
  // The snapshot is read, its digest checked, while both hosts list: node waits for them anyway
  // (a listing sorted on its host arrives only when the host has walked its whole tree). When
  // both hosts are to compare their trees there, its lines are kept as they pass, so the join
  // need not parse the part neither host changed.
  const compared =
    !full &&
    context.outputsOf("snapshot")?.keptListing !== undefined &&
    context.outputsOf("reconfigure")?.keptTarget !== undefined;
  const lines = compared ? new SnapshotLines(join(context.workDir, "final-sync-snapshot.tmp")) : undefined;
  const checked = latestManifestFile(context, ["snapshot"], input.workload, lines?.add).finally(() =>
    lines?.close(),
  );
  checked.catch(() => {});
  const rewritten = new Set(input.rewrites.map((rewrite) => rewrite.file));
  const finalFile = await manifestPath(context, "final");
  let planned: Planned;
  try {
    const sourceSide = await sourceListed;
    const snapshot = await checked;
    const sides = {
      input,
      context,
      source,
      target,
      sourceFile,
      sourceSide,
      targetFile,
      targetListed,
      finalFile,
      rewritten,
      ...(lines === undefined ? {} : { snapshotLines: lines }),
    };
    planned = full ? await planAgainstListing(sides, snapshot) : await planExact(sides, snapshot);
  } finally {
    // Its writer is done before the file goes, on the way out of an error too.
    await checked.catch(() => {});
    await lines?.remove();
  }
  const { delta, fresh } = planned;
  const final = await savedDurably(context, planned.summary);
  // Files the frozen source did not change since the snapshot, which the target no longer holds
  // as the transfer verified them: something changed the target (a hand, a process, its disk).
  // The sync puts the source's copy back, and says so, since the operator should know why.
  const repaired = delta.send.filter(
    (entry) => entry.type === "file" && !fresh.has(entry.path) && !rewritten.has(entry.path),
  );
  if (repaired.length > 0)
    context.log.warn(
      `${repaired.length} file(s) on ${target.host} differed from what the transfer verified though the source did not change them, e.g. ${JSON.stringify(repaired[0]!.path)}; sent again from the frozen source`,
    );
  await rm(sourceFile, { force: true });
  await rm(targetFile, { force: true });
  const outside = delta.remove.filter((path) => !insideRoots(path, input.paths));
  if (outside.length > 0)
    throw new BugError(`refusing to delete outside the workload's paths: ${outside[0]}`);
  if (delta.remove.length > 0) {
    const sorted = [...delta.remove].sort().reverse();
    await target.check(sh`xargs -0 -r rm -rf --`, {
      stdin: nulList(sorted),
      signal,
      timeoutMs: hashDeadlineMs(treeBytes),
    });
  }
  const sent = await syncEntries({
    source,
    target,
    roots: input.paths,
    entries: delta.send,
    hash: input.hash,
    signal,
    throttle: context.throttle,
    progress: (progress) => context.progress(progress),
    evidenceFile: join(context.workDir, EVIDENCE_FILE),
  });
  const again = new Set(delta.rewriteAgain);
  const rewrites = [];
  for (const { file, replace } of input.rewrites) {
    rewrites.push(
      await rewriteFile(target, file, replace, rewriteBackupDir(input.stagingDir), signal, again.has(file)),
    );
  }

  const files: FinalFiles = {
    manifestFile: finalFile,
    manifestDigest: final.digest,
    delta: {
      filesHashed: planned.filesHashed,
      filesSent: delta.send.filter((entry) => entry.type !== "dir").length,
      dirsRestored: delta.send.filter((entry) => entry.type === "dir").length,
      filesDeleted: delta.remove.length,
      bytesSent: sent.bytesSent,
      rewrittenAgain: delta.rewriteAgain.length,
    },
    rewrites: rewrites.map(({ file, before, after, replacements }) => ({
      file,
      before,
      after,
      replacements,
    })),
  };
  const tree =
    planned.unvouched !== undefined &&
    (await syncedTree(
      input,
      context,
      finalFile,
      final,
      new Map(files.rewrites.map((rewrite) => [rewrite.file, rewrite.after])),
      planned.unvouched,
      sent.changedDuringTransfer,
    ));
  return { files, manifest: finalFile, totals: final, ...(tree ? { tree } : {}) };
}
