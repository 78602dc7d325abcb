/**
 * The final delta sync inside the cutover, with the source frozen, in two parts the cutover
 * journals apart. Files: list the source again, hash only what changed since the snapshot,
 * delete on the target what the source no longer has, send what differs, re-apply rewrites the
 * source changed. Databases: each moved again as a fresh dump restored on the target, with row
 * counts equal to the dump's own (counted inside the dump's snapshot).
 */
import { BugError, RemoteError } from "../errors.ts";
import { hashDeadlineMs, hashStallMs, largestFile, STALL_MS } from "../remote/deadline.ts";
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import { carryHashes, insideRoots, planDelta } from "../transfer/delta.ts";
import { ProgressTracker } from "../transfer/meter.ts";
import { syncEntries } from "../transfer/sync.ts";
import type { DatabaseSnapshot } from "./contracts.ts";
import type { FinalDatabase, FinalFiles } from "./cutover-checkpoint.ts";
import { databaseSize, dumpFile, engineFor } from "./db/engines.ts";
import { parseRowCounts } from "./db/postgres.ts";
import { streamDump } from "./db/stream-dump.ts";
import { collectManifest } from "./manifest/collect.ts";
import { type Manifest, totalBytes } from "./manifest/model.ts";
import { nulList } from "./manifest/script.ts";
import { restoreDatabase, rewriteBackupDir, rewriteTargets } from "./reconfigure.ts";
import { rewriteFile } from "./rewrite.ts";
import { ensureStaging, hostWorkDir, latestManifest, QUICK_MS, saveManifest } from "./support.ts";
import type { StepContext } from "./types.ts";

export async function syncFiles(
  context: StepContext,
  source: Remote,
  target: Remote,
): Promise<{ files: FinalFiles; manifest: Manifest }> {
  const { workload, signal } = context;
  // The downtime clock runs: both hosts list at once, and the snapshot is read meanwhile.
  // Listing streams a line per entry, so a stall shows within STALL_MS; the whole deadline
  // follows the size the snapshot found (listing reads metadata only, hashing reads data).
  const snapshot = await latestManifest(context, ["snapshot"]);
  const treeBytes = totalBytes(snapshot.entries);
  const listing = {
    mode: "tree",
    hash: "none",
    signal,
    timeoutMs: hashDeadlineMs(treeBytes),
    idleTimeoutMs: STALL_MS,
  } as const;
  const targetListed = collectManifest(target, workload.paths, listing);
  targetListed.catch(() => {});
  const sourceListed = collectManifest(source, workload.paths, { ...listing, rootLinks: "refuse" });
  sourceListed.catch(() => {});
  const sourceListing = await sourceListed;
  const carried = carryHashes(snapshot.entries, sourceListing);
  const needHash = new Set(carried.needHash);
  const changedFiles = sourceListing.filter((entry) => needHash.has(entry.path));
  const hashed = await collectManifest(source, carried.needHash, {
    ...listing,
    mode: "list",
    hash: workload.hash,
    timeoutMs: hashDeadlineMs(totalBytes(changedFiles)),
    idleTimeoutMs: hashStallMs(largestFile(changedFiles)),
  });
  const fresh = new Map(hashed.map((entry) => [entry.path, entry]));
  // A file that vanished between listing and hashing is left out, like in the snapshot.
  const entries = carried.entries
    .map((entry) => (entry.type === "file" && entry.hash === undefined ? fresh.get(entry.path) : entry))
    .filter((entry) => entry !== undefined);
  // Written while the changes travel; the step returns only once it is saved.
  const saved = saveManifest(context, "final", { hash: workload.hash, roots: workload.paths, entries });
  saved.catch(() => {});

  const targetListing = await targetListed;
  const rewritten = new Set(rewriteTargets(context).map((rewrite) => rewrite.file));
  const delta = planDelta(entries, snapshot.entries, targetListing, rewritten);
  const outside = delta.remove.filter((path) => !insideRoots(path, workload.paths));
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
    roots: workload.paths,
    entries: delta.send,
    hash: workload.hash,
    signal,
    throttle: context.throttle,
    progress: (progress) => context.progress(progress),
  });
  const again = new Set(delta.rewriteAgain);
  const rewrites = [];
  for (const { file, replace } of rewriteTargets(context)) {
    rewrites.push(
      await rewriteFile(target, file, replace, rewriteBackupDir(context), signal, again.has(file)),
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
  return { files, manifest: { hash: workload.hash, roots: workload.paths, entries } };
}

/**
 * Once the final dumps are restored no dump is needed any more (a rollback keeps the source's
 * own database, a later run dumps afresh): staging keeps no copy of the data it moved.
 */
async function removeDumps(context: StepContext, source: Remote, target: Remote): Promise<void> {
  const { workload, signal } = context;
  const files = workload.databases.flatMap((db) => {
    const file = dumpFile(hostWorkDir(workload), db);
    return [file, file.replace(/\.dump$/, ".final.dump")];
  });
  await Promise.all(
    [source, target].map((remote) => remote.check(sh`rm -f -- ${files}`, { signal, timeoutMs: QUICK_MS })),
  );
}

export async function moveDatabases(
  context: StepContext,
  source: Remote,
  target: Remote,
): Promise<FinalDatabase[]> {
  const { workload, signal } = context;
  const result: FinalDatabase[] = [];
  if (workload.databases.length === 0) return result;
  await ensureStaging(target, workload, signal);
  const tracker = new ProgressTracker(0, workload.databases.length, (progress) => context.progress(progress));
  for (const db of workload.databases) {
    const file = dumpFile(hostWorkDir(workload), db).replace(/\.dump$/, ".final.dump");
    const engine = engineFor(db);
    const countsFile = `${file}.counts`;
    const sizeBytes = await databaseSize(source, db, signal);
    const { bytes, sha256 } = await streamDump(source, target, db, file, {
      signal,
      throttle: context.throttle,
      onBytes: (n) => tracker.addBytes(n),
      sizeBytes,
      countsFile,
    });
    // The counts of the very snapshot dumped (PostgreSQL), else of the frozen source now: the
    // counts the target must have exactly.
    const sourceCounts = engine.dumpWithCounts
      ? parseRowCounts(
          (
            await source.check(sh`cat -- ${countsFile} && rm -f -- ${countsFile}`, {
              signal,
              timeoutMs: QUICK_MS,
            })
          ).stdout,
        )
      : await engine.rowCounts(source, db, signal);
    const snap: DatabaseSnapshot = {
      engine: db.engine,
      name: db.name,
      dumpFile: file,
      dumpSha256: sha256,
      rowCounts: sourceCounts,
    };
    const counts = await restoreDatabase(target, db, snap, file, signal, bytes);
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
    result.push({ name: db.name, rowCounts: counts, dumpBytes: bytes });
  }
  tracker.flush();
  await removeDumps(context, source, target);
  return result;
}
