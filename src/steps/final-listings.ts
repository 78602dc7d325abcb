/**
 * How the final sync lists both trees under the freeze. Where a listing of the tree is kept on
 * its host (the source's by the snapshot, the target's after the reconfigure:
 * steps/target-kept.ts), the host compares and node reads only what differs, read again with
 * digests and attributes; otherwise, or for `verify: { full: true }`, the whole tree is listed
 * to a sorted file as before.
 */
import { collectManifest } from "../manifest/collect.ts";
import { collectToFile } from "../manifest/collect-file.ts";
import { diffOnHost } from "../manifest/host-diff.ts";
import { comparePaths, type HashAlgorithm, type ManifestEntry, totalBytes } from "../manifest/model.ts";
import { hashDeadlineMs, hashStallMs, largestFile, STALL_MS } from "../remote/deadline.ts";
import type { Remote } from "../remote/types.ts";
import type { TreeChange } from "./final-join.ts";
import type { CutoverInput } from "./inputs.ts";
import { localArtifact, openManifest } from "./support.ts";
import type { StepContext } from "./types.ts";

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

/** The source as listed: its listing (a file), or its change since the snapshot found on its host. */
export interface SourceSide {
  listing: string | TreeChange;
  /** The change's entries read afresh (files hashed), by path. */
  fresh: ReadonlyMap<string, ManifestEntry>;
  filesHashed: number;
}

/**
 * List the source. With the snapshot's listing kept there (and no full verification) the host
 * compares and sends only what differs, which is then read afresh (files hashed, attributes
 * read); a listing missing, another snapshot's, or one the host cannot compare means the whole
 * source is listed as before.
 */
export async function listSource(
  input: CutoverInput,
  context: StepContext,
  source: Remote,
  sourceFile: string,
  full: boolean,
): Promise<SourceSide> {
  const listing = { ...metadataListing(context), rootLinks: "refuse" } as const;
  const kept = full ? undefined : context.outputsOf("snapshot")?.keptListing;
  if (kept !== undefined) {
    const diff = await diffOnHost(source, input.paths, listing, kept);
    if (diff !== undefined) {
      const paths = diff.now.map((entry) => entry.path);
      const now = await hashChanged(source, paths, diff.now, input.hash, context.signal);
      const differs = new Set([...diff.before, ...paths]);
      context.log.info(
        `compared on ${source.host} with the snapshot's listing: ${differs.size} path(s) changed since the snapshot`,
      );
      return {
        listing: { differs, now },
        fresh: new Map(now.filter((entry) => entry.type === "file").map((entry) => [entry.path, entry])),
        filesHashed: diff.now.filter((entry) => entry.type === "file").length,
      };
    }
    context.log.info(
      `the snapshot's listing kept on ${source.host} is missing or not this snapshot's; listing the whole source`,
    );
  }
  await collectToFile(source, input.paths, listing, sourceFile, input.paths);
  return { listing: sourceFile, fresh: new Map(), filesHashed: 0 };
}

/** The target as listed: its listing (a file), or its change since the listing kept there. */
export interface TargetSide {
  listing: string | TreeChange;
  /** Target files hashed there now (the change and the doubtful paths). */
  filesHashed: number;
}

/** The paths the target did not hold as the snapshot when its listing was kept; undefined: unusable. */
async function doubtfulEntries(context: StepContext, file: string, digest: string) {
  try {
    const doubtful: ManifestEntry[] = [];
    for await (const entry of (await openManifest(localArtifact(context, file), digest)).entries())
      doubtful.push(entry);
    return doubtful;
  } catch {
    return undefined;
  }
}

/**
 * List the target. With its listing kept after the reconfigure, for this snapshot (and no full
 * verification), the host compares and node reads again, with digests, only what differs there
 * and what was doubtful then; else the whole target is listed to `targetFile`.
 */
export async function listTarget(
  input: CutoverInput,
  context: StepContext,
  target: Remote,
  targetFile: string,
  full: boolean,
): Promise<TargetSide> {
  const listing = metadataListing(context);
  const kept = full ? undefined : context.outputsOf("reconfigure")?.keptTarget;
  const snapshot = context.outputsOf("snapshot");
  const doubtful =
    kept !== undefined && kept.snapshotDigest === snapshot?.manifestDigest
      ? await doubtfulEntries(context, kept.doubtfulFile, kept.doubtfulDigest)
      : undefined;
  const diff = kept && doubtful && (await diffOnHost(target, input.paths, listing, kept));
  if (diff && doubtful) {
    const candidates = new Map([...doubtful, ...diff.now].map((entry) => [entry.path, entry]));
    const entries = [...candidates.values()].sort((a, b) => comparePaths(a.path, b.path));
    const now = await collectManifest(
      target,
      entries.map((entry) => entry.path),
      {
        mode: "list",
        hash: input.hash,
        roots: input.paths,
        signal: context.signal,
        timeoutMs: hashDeadlineMs(totalBytes(entries)),
        idleTimeoutMs: hashStallMs(largestFile(entries)),
      },
    );
    const differs = new Set([...diff.before, ...candidates.keys()]);
    context.log.info(
      `compared on ${target.host} with the listing kept after the reconfigure: ${differs.size} path(s) to look at (${doubtful.length} doubtful then)`,
    );
    return { listing: { differs, now }, filesHashed: now.filter((entry) => entry.type === "file").length };
  }
  if (kept !== undefined)
    context.log.info(
      `the target's listing kept on ${target.host} is missing or not this snapshot's; listing the whole target`,
    );
  await collectToFile(target, input.paths, listing, targetFile, input.paths);
  return { listing: targetFile, filesHashed: 0 };
}
