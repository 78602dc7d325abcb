/**
 * The final delta sync of the files inside the cutover, with the source frozen (its databases:
 * final-databases.ts). List both hosts once, hash on the source only what changed since the
 * snapshot and on the target only what no evidence vouches for, delete on the target what the
 * source no longer has, send what differs there, re-apply rewrites the source changed.
 */

import { rm } from "node:fs/promises";
import { join } from "node:path";
import { BugError } from "../errors.ts";
import { collectManifest } from "../manifest/collect.ts";
import { collectToFile } from "../manifest/collect-file.ts";
import { type HashAlgorithm, type ManifestEntry, totalBytes } from "../manifest/model.ts";
import { nulList } from "../manifest/script.ts";
import { linkGroupsOf, type ManifestSummary, ManifestWriter, readEntries } from "../manifest/store.ts";
import { hashDeadlineMs, hashStallMs, largestFile, STALL_MS } from "../remote/deadline.ts";
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import { type Carried, carried, carryHashes, insideRoots, planDeltaOf } from "../transfer/delta.ts";
import { syncEntries } from "../transfer/sync.ts";
import { EVIDENCE_FILE } from "../transfer/target-evidence.ts";
import type { FinalFiles } from "./cutover-checkpoint.ts";
import type { CutoverInput } from "./inputs.ts";
import { rewriteBackupDir } from "./reconfigure.ts";
import { rewriteFile } from "./rewrite.ts";
import { digestChecked, manifestPath, savedDurably, snapshotManifestUnchecked } from "./support.ts";
import { syncedTree } from "./synced-tree.ts";
import { hashOnTarget, type TreeComparison, vouchedListing, withHashes } from "./target-tree.ts";
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

/**
 * How the final sync lists a tree (metadata only, to a sorted file on disk). Listing streams a
 * line per entry, so a stall shows within STALL_MS; the whole deadline follows the size the
 * snapshot found.
 */
export function metadataListing(context: StepContext) {
  return {
    hash: "none",
    signal: context.signal,
    timeoutMs: hashDeadlineMs(context.outputsOf("snapshot")?.bytes ?? 0),
    idleTimeoutMs: STALL_MS,
    workDir: context.workDir,
    digest: false,
  } as const;
}

/** Hash on the source what the quick check says changed: `changed`, at `paths`. */
export function hashChanged(
  source: Remote,
  paths: readonly string[],
  changed: readonly ManifestEntry[],
  hash: HashAlgorithm,
  signal: AbortSignal,
): Promise<ManifestEntry[]> {
  return collectManifest(source, paths, {
    mode: "list",
    hash,
    signal,
    timeoutMs: hashDeadlineMs(totalBytes(changed)),
    idleTimeoutMs: hashStallMs(largestFile(changed)),
  });
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
  // The downtime clock runs: both hosts list at once (metadata only, each to a sorted file on disk).
  const treeBytes = context.outputsOf("snapshot")?.bytes ?? 0;
  const listing = metadataListing(context);
  const targetFile = await manifestPath(context, "listing-target");
  const targetListed = collectToFile(target, input.paths, listing, targetFile, input.paths);
  targetListed.catch(() => {});
  const sourceFile = await manifestPath(context, "listing-source");
  const sourceListed = collectToFile(
    source,
    input.paths,
    { ...listing, rootLinks: "refuse" },
    sourceFile,
    input.paths,
  );
  sourceListed.catch(() => {});
  // Unless the target is hashed whole afterwards, this listing is the only one of the target:
  // joined with the evidence of what was hashed there, and the rest hashed there too.
  const vouchedFile = join(context.workDir, "target-vouched.jsonl");
  const targetSide = full
    ? undefined
    : targetListed.then(() => vouchedListing(context, targetFile, vouchedFile, target.host, input.hash));
  targetSide?.catch(() => {});
  // Its digest is checked in the first pass over it, before anything changes.
  const { manifest: snapshot, digest } = await snapshotManifestUnchecked(context, input.workload);
  await sourceListed;
  // Only what the stat evidence says changed since the snapshot is hashed (rsync's and git's
  // quick check); the rest keeps its snapshot hash.
  const needHash: string[] = [];
  const changed: ManifestEntry[] = [];
  // The hard-linked files as listed: their groups let the final manifest be digested as it is
  // written, instead of read twice more.
  const linked: ManifestEntry[] = [];
  for await (const entry of carryHashes(digestChecked(snapshot, digest), readEntries(sourceFile), needHash)) {
    if (entry.type === "file" && entry.hash === undefined) changed.push(entry);
    if (entry.type === "file" && entry.nlink > 1) linked.push(entry);
  }
  const there = await targetSide;
  // Both hosts hash at once: the source what changed, the target what no evidence vouches for.
  const [hashed, targetHashes] = await Promise.all([
    hashChanged(source, needHash, changed, input.hash, signal),
    there && hashOnTarget(target, there.unvouched, input.hash, signal),
  ]);
  const fresh = new Map(hashed.map((entry) => [entry.path, entry]));
  const finalFile = await manifestPath(context, "final");
  // A file that vanished between listing and hashing is left out, like in the snapshot; if it
  // was hard-linked, the groups are read from the written file instead.
  const gone = (entry: ManifestEntry) => entry.hash === undefined && !fresh.has(entry.path);
  const vanished = linked.some(gone);
  const writer = new ManifestWriter(
    finalFile,
    { hash: input.hash, roots: input.paths },
    vanished || (await linkGroupsOf(linked)),
  );
  await targetListed;
  const exact = there && {
    want: await linkGroupsOf(linked.filter((entry) => !gone(entry))),
    have: await linkGroupsOf(there.linked),
  };
  // One pass writes the final manifest and plans the delta against the target's listing.
  const rewritten = new Set(input.rewrites.map((rewrite) => rewrite.file));
  const delta = await planDeltaOf(
    writing(withFresh(carried(snapshot.entries(), readEntries(sourceFile), []), fresh), writer),
    targetHashes ? withHashes(readEntries(vouchedFile), targetHashes) : readEntries(targetFile),
    rewritten,
    exact,
  );
  const final = await savedDurably(context, await writer.close());
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
  await rm(vouchedFile, { force: true });
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
      filesHashed: needHash.length,
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
    there &&
    (await syncedTree(
      input,
      context,
      finalFile,
      final,
      new Map(files.rewrites.map((rewrite) => [rewrite.file, rewrite.after])),
      there.unvouched.length,
      sent.changedDuringTransfer,
    ));
  return { files, manifest: finalFile, totals: final, ...(tree ? { tree } : {}) };
}
