/**
 * The target's listing kept on the target once the transfer and the reconfigure are done, so the
 * cutover compares the frozen target with it there (manifest/host-diff.ts) and node reads only
 * what differs. Outside the downtime, node joins that listing with the evidence and the snapshot
 * once and notes every path the target does not hold exactly as the snapshot has it ("doubtful":
 * missing, extra, not vouched for by evidence, different, hard-linked, rewritten). Under the
 * freeze, a path neither doubtful nor differing on the host is the snapshot's entry there: its
 * record (size, mtime, ctime, inode) is the one the evidence vouched for, and an attribute set
 * since would have changed its ctime.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { collectToFile } from "../manifest/collect-file.ts";
import { keptListingDigest } from "../manifest/host-diff.ts";
import { canonicalLine, comparePaths, type ManifestEntry } from "../manifest/model.ts";
import { mergeJoin, type Sorted } from "../manifest/sorted-file.ts";
import { linkCandidate, ManifestWriter, readEntries } from "../manifest/store.ts";
import { hashDeadlineMs, STALL_MS } from "../remote/deadline.ts";
import type { Remote } from "../remote/types.ts";
import { EVIDENCE_FILE, evidenceSorted, vouchedEntries } from "../transfer/target-evidence.ts";
import type { KeptTarget } from "./contracts.ts";
import type { ReconfigureInput } from "./inputs.ts";
import { ensureStaging, latestManifestFile, manifestPath, savedDurably } from "./support.ts";
import type { StepContext } from "./types.ts";

/** More doubtful paths than this share of the tree: comparing on the host would not pay. */
const MOST_DOUBTFUL = 0.1;

/**
 * The paths the target does not hold exactly as the snapshot (path order): missing, extra, not
 * vouched for (no digest: the canonical line differs), different, hard-linked on either side,
 * rewritten. Each as the target holds it,
 * else as the snapshot has it; `counted.entries` counts every path seen.
 */
export async function* doubtfulOf(
  snapshot: Sorted<ManifestEntry>,
  /** The target's listing with the digests evidence vouches for. */
  there: Sorted<ManifestEntry>,
  rewritten: ReadonlySet<string>,
  counted = { entries: 0 },
): AsyncGenerator<ManifestEntry> {
  const path = (entry: ManifestEntry) => entry.path;
  for await (const { left: want, right: have } of mergeJoin(snapshot, there, {
    left: path,
    right: path,
    compare: comparePaths,
  })) {
    counted.entries++;
    const same =
      want !== undefined &&
      have !== undefined &&
      !linkCandidate(want) &&
      !linkCandidate(have) &&
      !rewritten.has(want.path) &&
      canonicalLine(want) === canonicalLine(have);
    if (!same) yield (have ?? want)!;
  }
}

/**
 * Keep the target's listing (best effort: undefined when the login cannot stage it, the host
 * cannot compare, or too much of the target differs from the snapshot).
 */
export async function keepTargetListing(
  input: Pick<ReconfigureInput, "workload" | "stagingDir" | "rewrites">,
  context: StepContext,
  target: Remote,
): Promise<KeptTarget | undefined> {
  const snapshot = context.outputsOf("snapshot");
  if (snapshot === undefined) return undefined;
  // The workload's paths and hash, as the snapshot recorded them.
  const manifest = await latestManifestFile(context, ["snapshot"], input.workload);
  const paths = manifest.roots;
  if (paths.length === 0) return undefined;
  const file = `${input.stagingDir}/listing-target`;
  try {
    await ensureStaging(target, input.stagingDir, context.signal);
  } catch (error) {
    context.log.info(
      `not keeping the target's listing on ${target.host} (${(error as Error).message}); the cutover lists the whole target`,
    );
    return undefined;
  }
  const listingFile = await manifestPath(context, "listing-target-kept");
  const doubtfulFile = await manifestPath(context, "doubtful-target");
  try {
    await collectToFile(
      target,
      paths,
      {
        hash: "none",
        signal: context.signal,
        timeoutMs: hashDeadlineMs(snapshot.bytes),
        idleTimeoutMs: STALL_MS,
        workDir: context.workDir,
        digest: false,
        kept: { use: "keep", file },
      },
      listingFile,
      paths,
    );
    const sha256 = await keptListingDigest(target, file, context.signal);
    if (sha256 === undefined) return undefined;
    const rewritten = new Set(input.rewrites.map((rewrite) => rewrite.file));
    const evidence = evidenceSorted(
      join(context.workDir, EVIDENCE_FILE),
      context.workDir,
      target.host,
      manifest.hash,
    );
    const there = vouchedEntries(readEntries(listingFile), evidence, []);
    const writer = new ManifestWriter(doubtfulFile, { hash: manifest.hash, roots: paths });
    const counted = { entries: 0 };
    for await (const entry of doubtfulOf(manifest.entries(), there, rewritten, counted))
      await writer.add(entry);
    const entries = counted.entries;
    const doubtful = await savedDurably(context, await writer.close());
    if (doubtful.entries > Math.max(1000, entries * MOST_DOUBTFUL)) {
      context.log.info(
        `not keeping the target's listing on ${target.host}: ${doubtful.entries} of ${entries} paths differ from the snapshot there`,
      );
      await rm(doubtfulFile, { force: true });
      return undefined;
    }
    return {
      file,
      sha256,
      snapshotDigest: snapshot.manifestDigest,
      doubtfulFile,
      doubtfulDigest: doubtful.digest,
    };
  } finally {
    await rm(listingFile, { force: true });
  }
}
