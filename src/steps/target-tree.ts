/**
 * The target's tree compared with the source's final manifest: every path equal, except that
 * rewritten files must hold exactly their journaled after-hash. The cutover runs it while the
 * source is frozen and before the target's services start, so it checks the data as of the
 * switch; after the switch the live application may write, and only health checks run then.
 */

import { collectManifest } from "../manifest/collect.ts";
import {
  canonicalLines,
  type Manifest,
  type ManifestEntry,
  manifestDigest,
  mismatchedPaths,
  totalBytes,
} from "../manifest/model.ts";
import { hashDeadlineMs, hashStallMs, largestFile } from "../remote/deadline.ts";
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import type { VerifyInput } from "./inputs.ts";
import { QUICK_MS } from "./support.ts";
import type { StepContext } from "./types.ts";

export interface TreeComparison {
  ok: boolean;
  reason: string;
  /** Digest of what the target must hold (the source's manifest with rewritten files' after-state). */
  digest: string;
  targetDigest: string;
}

/** Rewritten files whose SHA-256 on the target is the journaled after-hash. */
async function rewritesHold(
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

/** Hash the target's tree afresh and compare it with `expected`; `rewritten` maps file → after-hash. */
export async function compareTargetTree(
  tree: Pick<VerifyInput, "target" | "paths" | "hash">,
  context: StepContext,
  expected: Manifest,
  rewritten: ReadonlyMap<string, string>,
): Promise<TreeComparison> {
  const { signal } = context;
  const target = await context.remote(tree.target.name);
  const actual = await collectManifest(target, tree.paths, {
    mode: "tree",
    hash: tree.hash,
    signal,
    timeoutMs: hashDeadlineMs(totalBytes(expected.entries)),
    idleTimeoutMs: hashStallMs(largestFile(expected.entries)),
  });
  const rewrittenOk = await rewritesHold(context, target, rewritten);
  // A rewritten file differs from the source by design: it must hold its journaled after-hash
  // (SHA-256, whatever the manifest's algorithm); then its content fields come from the target.
  let want: ManifestEntry[] = expected.entries;
  if (rewrittenOk.size > 0) {
    const onTarget = new Map(actual.map((entry) => [entry.path, entry]));
    want = expected.entries.map((entry) => {
      const there = onTarget.get(entry.path);
      return rewrittenOk.has(entry.path) && there
        ? { ...entry, hash: there.hash, size: there.size, mtime: there.mtime }
        : entry;
    });
  }
  const digest = manifestDigest({ ...expected, entries: want });
  const targetDigest = manifestDigest({ ...expected, entries: actual });
  const differing = mismatchedPaths(want, actual);
  const wanted = canonicalLines(want);
  const extra = actual.filter((entry) => !wanted.has(entry.path)).map((entry) => entry.path);
  if (differing.length === 0 && extra.length === 0) return { ok: true, reason: "", digest, targetDigest };
  const parts = [];
  if (differing.length > 0)
    parts.push(`${differing.length} differ or are missing (e.g. ${JSON.stringify(differing[0])})`);
  if (extra.length > 0) parts.push(`${extra.length} only on the target (e.g. ${JSON.stringify(extra[0])})`);
  return {
    ok: false,
    reason: `manifest: target ${tree.target.name} does not match the source: ${parts.join(", ")}`,
    digest,
    targetDigest,
  };
}
