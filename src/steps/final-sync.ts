/**
 * The final delta sync inside the cutover, with the source frozen, in two parts the cutover
 * journals apart. Files: list the source again, hash only what changed since the snapshot,
 * delete on the target what the source no longer has, send what differs, re-apply rewrites the
 * source changed. Databases: each moved again as a fresh dump restored on the target, with row
 * counts equal to the dump's own (counted inside the dump's snapshot).
 */
import { BugError, RemoteError } from "../errors.ts";
import { collectManifest } from "../manifest/collect.ts";
import { type Manifest, totalBytes } from "../manifest/model.ts";
import { nulList } from "../manifest/script.ts";
import { hashDeadlineMs, hashStallMs, largestFile, STALL_MS } from "../remote/deadline.ts";
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import { carryHashes, insideRoots, planDelta } from "../transfer/delta.ts";
import { chunkStore } from "../transfer/dump-delta.ts";
import { ProgressTracker } from "../transfer/meter.ts";
import { syncEntries } from "../transfer/sync.ts";
import type { DatabaseSnapshot } from "./contracts.ts";
import type { FinalDatabase, FinalFiles } from "./cutover-checkpoint.ts";
import { databaseSize } from "./db/engines.ts";
import { parseRowCounts } from "./db/postgres.ts";
import { streamDump } from "./db/stream-dump.ts";
import type { CutoverInput } from "./inputs.ts";
import { restoreDatabase, rewriteBackupDir } from "./reconfigure.ts";
import { rewriteFile } from "./rewrite.ts";

import { ensureStaging, latestManifest, QUICK_MS, saveManifest } from "./support.ts";
import type { StepContext } from "./types.ts";

export async function syncFiles(
  input: CutoverInput,
  context: StepContext,
  source: Remote,
  target: Remote,
): Promise<{ files: FinalFiles; manifest: Manifest }> {
  const { signal } = context;
  // The downtime clock runs: both hosts list at once, and the snapshot is read meanwhile.
  // Listing streams a line per entry, so a stall shows within STALL_MS; the whole deadline
  // follows the size the snapshot found (listing reads metadata only, hashing reads data).
  const snapshot = await latestManifest(context, ["snapshot"], input.workload);
  const treeBytes = totalBytes(snapshot.entries);
  const listing = {
    mode: "tree",
    hash: "none",
    signal,
    timeoutMs: hashDeadlineMs(treeBytes),
    idleTimeoutMs: STALL_MS,
  } as const;
  const targetListed = collectManifest(target, input.paths, listing);
  targetListed.catch(() => {});
  const sourceListed = collectManifest(source, input.paths, { ...listing, rootLinks: "refuse" });
  sourceListed.catch(() => {});
  const sourceListing = await sourceListed;
  const carried = carryHashes(snapshot.entries, sourceListing);
  const needHash = new Set(carried.needHash);
  const changedFiles = sourceListing.filter((entry) => needHash.has(entry.path));
  const hashed = await collectManifest(source, carried.needHash, {
    ...listing,
    mode: "list",
    hash: input.hash,
    timeoutMs: hashDeadlineMs(totalBytes(changedFiles)),
    idleTimeoutMs: hashStallMs(largestFile(changedFiles)),
  });
  const fresh = new Map(hashed.map((entry) => [entry.path, entry]));
  // A file that vanished between listing and hashing is left out, like in the snapshot.
  const entries = carried.entries
    .map((entry) => (entry.type === "file" && entry.hash === undefined ? fresh.get(entry.path) : entry))
    .filter((entry) => entry !== undefined);
  // Written while the changes travel; the step returns only once it is saved.
  const saved = saveManifest(context, "final", { hash: input.hash, roots: input.paths, entries });
  saved.catch(() => {});

  const targetListing = await targetListed;
  const rewritten = new Set(input.rewrites.map((rewrite) => rewrite.file));
  const delta = planDelta(entries, snapshot.entries, targetListing, rewritten);
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
  });
  const again = new Set(delta.rewriteAgain);
  const rewrites = [];
  for (const { file, replace } of input.rewrites) {
    rewrites.push(
      await rewriteFile(target, file, replace, rewriteBackupDir(input.stagingDir), signal, again.has(file)),
    );
  }

  const final = await saved;
  const files: FinalFiles = {
    manifestFile: final.file,
    manifestDigest: final.digest,
    delta: {
      filesHashed: carried.needHash.length,
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
  return { files, manifest: { hash: input.hash, roots: input.paths, entries } };
}

/**
 * Once the final dumps are restored no dump is needed any more (a rollback keeps the source's
 * own database, a later run dumps afresh): staging keeps no copy of the data it moved.
 */
async function removeDumps(
  input: CutoverInput,
  signal: AbortSignal,
  source: Remote,
  target: Remote,
): Promise<void> {
  const files = input.databases.flatMap((db) => [db.dumpFile, db.finalDumpFile]);
  await Promise.all([
    source.check(sh`rm -f -- ${files}`, { signal, timeoutMs: QUICK_MS }),
    // The target's chunk store (transfer/dump-delta.ts) holds the same data in pieces.
    target.check(sh`rm -rf -- ${files} ${chunkStore(input.stagingDir)}`, { signal, timeoutMs: QUICK_MS }),
  ]);
}

export async function moveDatabases(
  input: CutoverInput,
  context: StepContext,
  source: Remote,
  target: Remote,
): Promise<FinalDatabase[]> {
  const { signal } = context;
  const result: FinalDatabase[] = [];
  if (input.databases.length === 0) return result;
  await ensureStaging(target, input.stagingDir, signal);
  const tracker = new ProgressTracker(0, input.databases.length, (progress) => context.progress(progress));
  for (const db of input.databases) {
    const file = db.finalDumpFile;
    const countsFile = `${file}.counts`;
    const sizeBytes = await databaseSize(source, db, signal);
    const dumped = await streamDump(source, target, db, file, {
      signal,
      throttle: context.throttle,
      onBytes: (n) => tracker.addBytes(n),
      sizeBytes,
      countsFile,
      stagingDir: input.stagingDir,
      hash: input.hash,
    });
    // The counts of the very snapshot dumped: the counts the target must have exactly.
    const counted = await source.check(sh`cat -- ${countsFile} && rm -f -- ${countsFile}`, {
      signal,
      timeoutMs: QUICK_MS,
    });
    const sourceCounts = parseRowCounts(counted.stdout);
    const snap: DatabaseSnapshot = {
      engine: db.engine,
      name: db.name,
      dumpFile: file,
      dumpSha256: dumped.sha256,
      rowCounts: sourceCounts,
    };
    const counts = await restoreDatabase(target, db, snap, file, signal, dumped.bytes);
    const differ = Object.keys({ ...sourceCounts, ...counts }).filter(
      (table) => sourceCounts[table] !== counts[table],
    );
    if (differ.length > 0) {
      throw new RemoteError(
        "remote",
        `row counts of ${db.name} differ after the final restore: ${differ.join(", ")}`,
        {
          host: target.host,
          command: "row counts",
          exitCode: null,
        },
      );
    }
    tracker.addFiles(1);
    result.push({
      name: db.name,
      rowCounts: counts,
      dumpBytes: dumped.sent,
      dumpSize: dumped.bytes,
      dumpBytesReused: dumped.reused,
    });
  }
  tracker.flush();
  await removeDumps(input, signal, source, target);
  return result;
}
