/**
 * The target's tree compared with the source's final manifest: every path equal, except that
 * rewritten files must hold exactly their journaled after-hash. The cutover runs it while the
 * source is frozen and before the target's services start, so it checks the data as of the
 * switch; after the switch the live application may write, and only health checks run then.
 *
 * Work proportional to change: the target is listed (metadata only) and a file is hashed again
 * only when no evidence vouches for it — evidence is what the transfer's and the final sync's
 * verification hashed on the target, with the file's device, inode, size, mtime and ctime then
 * (target-evidence.ts). `full` hashes every file afresh (audits). Everything streams from
 * sorted files on disk; memory holds the files to hash and the hard-linked ones.
 */

import { rm } from "node:fs/promises";
import { join } from "node:path";
import { collectManifest } from "../manifest/collect.ts";
import { collectToFile } from "../manifest/collect-file.ts";
import { comparePaths, type HashAlgorithm, type ManifestEntry } from "../manifest/model.ts";
import { LineWriter, mergeJoin } from "../manifest/sorted-file.ts";
import {
  linkGroupsOfFile,
  type ManifestSummary,
  readEntries,
  StreamDigest,
  summarize,
} from "../manifest/store.ts";
import { hashDeadlineMs, hashStallMs, largestFile, STALL_MS } from "../remote/deadline.ts";
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import { EVIDENCE_FILE, evidenceSorted, vouchedEntries } from "../transfer/target-evidence.ts";
import type { VerifyInput } from "./inputs.ts";
import { manifestPath, QUICK_MS } from "./support.ts";
import type { StepContext } from "./types.ts";

export interface TreeComparison {
  ok: boolean;
  reason: string;
  /** Digest of what the target must hold (the source's manifest with rewritten files' after-state). */
  digest: string;
  targetDigest: string;
  /** Files hashed on the target for this comparison (the rest vouched for by evidence). */
  filesHashed: number;
  full: boolean;
}

/** Rewritten files whose SHA-256 on the target is the journaled after-hash. */
export async function rewritesHold(
  context: StepContext,
  target: Remote,
  rewritten: ReadonlyMap<string, string>,
): Promise<Set<string>> {
  const files = [...rewritten.keys()];
  if (files.length === 0) return new Set();
  const result = await target.run(sh`sha256sum -z -- ${files}`, {
    signal: context.signal,
    timeoutMs: QUICK_MS,
  });
  const held = new Set<string>();
  for (const line of result.stdout.split("\0")) {
    const hash = line.slice(0, 64);
    const file = line.slice(66);
    if (rewritten.get(file) === hash) held.add(file);
  }
  return held;
}

/**
 * The target as listed, each file with the digest evidence vouches for (written to `file`);
 * returns the files no evidence vouches for.
 */
export async function vouchedListing(
  context: StepContext,
  listing: string,
  file: string,
  host: string,
  hash: HashAlgorithm,
): Promise<{ unvouched: ManifestEntry[] }> {
  const unvouched: ManifestEntry[] = [];
  const writer = new LineWriter(file, 0);
  await writer.write(JSON.stringify({ hash, roots: [] }));
  const evidence = evidenceSorted(join(context.workDir, EVIDENCE_FILE), context.workDir, host, hash);
  for await (const entry of vouchedEntries(readEntries(listing), evidence, unvouched))
    await writer.write(JSON.stringify(entry));
  await writer.close();
  return { unvouched };
}

/** Digests of `files` computed on the target, by path; a file gone meanwhile has none. */
export async function hashOnTarget(
  target: Remote,
  files: readonly ManifestEntry[],
  hash: HashAlgorithm,
  signal: AbortSignal,
): Promise<Map<string, string>> {
  const hashed = await collectManifest(
    target,
    files.map((entry) => entry.path),
    {
      mode: "list",
      hash,
      signal,
      timeoutMs: hashDeadlineMs(files.reduce((sum, entry) => sum + entry.size, 0)),
      idleTimeoutMs: hashStallMs(largestFile(files)),
    },
  );
  return new Map(hashed.map((entry) => [entry.path, entry.hash ?? ""]));
}

export async function* withHashes(
  entries: AsyncIterable<ManifestEntry>,
  fresh: ReadonlyMap<string, string>,
): AsyncGenerator<ManifestEntry> {
  for await (const entry of entries) {
    const hash = fresh.get(entry.path);
    yield hash === undefined ? entry : { ...entry, hash };
  }
}

/** List the target (hashing what evidence does not vouch for) and compare it with `expectedFile`. */
export async function compareTargetTree(
  tree: Pick<VerifyInput, "target" | "paths" | "hash">,
  context: StepContext,
  expectedFile: string,
  rewritten: ReadonlyMap<string, string>,
  full: boolean,
  /** The expected manifest's totals when its writer has them (the final sync), else read here. */
  known?: Omit<ManifestSummary, "digest">,
): Promise<TreeComparison> {
  const { signal } = context;
  const target = await context.remote(tree.target.name);
  const totals = known ?? (await summarize(expectedFile));
  const listed = await manifestPath(context, "target-listing");
  await collectToFile(
    target,
    tree.paths,
    {
      hash: full ? tree.hash : "none",
      signal,
      timeoutMs: hashDeadlineMs(totals.bytes),
      idleTimeoutMs: full ? hashStallMs(totals.largest) : STALL_MS,
      workDir: context.workDir,
      digest: false,
    },
    listed,
    tree.paths,
  );
  let actualFile = listed;
  let filesHashed = full ? totals.files : 0;
  let fresh = new Map<string, string>();
  if (!full) {
    actualFile = join(context.workDir, "target-vouched.jsonl.gz");
    const { unvouched } = await vouchedListing(context, listed, actualFile, target.host, tree.hash);
    fresh = await hashOnTarget(target, unvouched, tree.hash, signal);
    filesHashed = unvouched.length;
  }
  try {
    const comparison = await compareStreams(
      tree.hash,
      expectedFile,
      actualFile,
      fresh,
      await rewritesHold(context, target, rewritten),
    );
    if (comparison.differing === 0 && comparison.extra === 0)
      return {
        ok: true,
        reason: "",
        digest: comparison.digest,
        targetDigest: comparison.targetDigest,
        filesHashed,
        full,
      };
    const parts = [];
    if (comparison.differing > 0)
      parts.push(
        `${comparison.differing} differ or are missing (e.g. ${JSON.stringify(comparison.firstDiffering)})`,
      );
    if (comparison.extra > 0)
      parts.push(`${comparison.extra} only on the target (e.g. ${JSON.stringify(comparison.firstExtra)})`);
    return {
      ok: false,
      reason: `manifest: target ${tree.target.name} does not match the source: ${parts.join(", ")}`,
      digest: comparison.digest,
      targetDigest: comparison.targetDigest,
      filesHashed,
      full,
    };
  } finally {
    await rm(listed, { force: true });
    await rm(actualFile, { force: true });
  }
}

/**
 * Both digests and the differences of the expected manifest and the target, streamed. A
 * rewritten file that holds its after-hash differs from the source by design: its content
 * fields come from the target.
 */
async function compareStreams(
  hash: HashAlgorithm,
  expectedFile: string,
  actualFile: string,
  fresh: ReadonlyMap<string, string>,
  rewrittenOk: ReadonlySet<string>,
) {
  const pairs = mergeJoin(readEntries(expectedFile), withHashes(readEntries(actualFile), fresh), {
    left: (entry) => entry.path,
    right: (entry) => entry.path,
    compare: comparePaths,
  });
  const wantOf = (entry: ManifestEntry, there: ManifestEntry | undefined): ManifestEntry =>
    rewrittenOk.has(entry.path) && there
      ? { ...entry, hash: there.hash, size: there.size, mtime: there.mtime }
      : entry;
  // Hard-link groups from the files' text (rewrites and fresh hashes change no link identity).
  const wantGroup = await linkGroupsOfFile(expectedFile);
  const haveGroup = await linkGroupsOfFile(actualFile);
  const want = new StreamDigest(hash, wantGroup);
  const have = new StreamDigest(hash, haveGroup);
  const result = { differing: 0, extra: 0, firstDiffering: "", firstExtra: "" };
  for await (const { left: expected, right: there } of pairs) {
    const line = there && have.add(there);
    if (expected === undefined) {
      if (result.extra++ === 0) result.firstExtra = there?.path ?? "";
      continue;
    }
    const entry = wantOf(expected, there);
    if (want.add(entry) !== line && result.differing++ === 0) result.firstDiffering = entry.path;
  }
  return { ...result, digest: want.value(), targetDigest: have.value() };
}
