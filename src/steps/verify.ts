/**
 * verify: the plan's checks plus manifest equality — the target's tree, hashed afresh, must
 * equal the source's final manifest, except that rewritten files must hold exactly their
 * journaled after-hash. The first failure is a RemoteError("verify"), never retried; the
 * engine then rolls the cutover back.
 */
import { RemoteError } from "../errors.ts";
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import { runCheck } from "./checks.ts";
import { collectManifest } from "./manifest/collect.ts";
import { canonicalLines, type ManifestEntry, manifestDigest, mismatchedPaths } from "./manifest/model.ts";
import { latestManifest, QUICK_MS, TREE_MS } from "./support.ts";
import type { Step, StepContext } from "./types.ts";

interface RewriteOutput {
  file: string;
  after: string;
}

function rewrittenHashes(context: StepContext): Map<string, string> {
  const records = (context.outputsOf("cutover")?.rewrites ??
    context.outputsOf("reconfigure")?.rewrites ??
    []) as RewriteOutput[];
  return new Map(records.map((record) => [record.file, record.after]));
}

/** Rewritten files whose SHA-256 on the target is the journaled after-hash. */
async function rewritesHold(
  context: StepContext,
  target: Remote,
  rewritten: Map<string, string>,
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

async function manifestCheck(
  context: StepContext,
): Promise<{ ok: boolean; reason: string; digest: string; targetDigest: string }> {
  const { workload, signal } = context;
  const expected = await latestManifest(context, ["cutover", "snapshot"]);
  const target = await context.remote(workload.target);
  const actual = await collectManifest(target, workload.paths, {
    mode: "tree",
    hash: workload.hash,
    signal,
    timeoutMs: TREE_MS,
  });
  const rewrittenOk = await rewritesHold(context, target, rewrittenHashes(context));
  // A rewritten file differs from the source by design: it must hold its journaled after-hash
  // (SHA-256, whatever the manifest's algorithm); then its content fields come from the target.
  // Without such files the source's entries are compared as they are, canonical lines reused.
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
    reason: `manifest: target ${workload.target} does not match the source: ${parts.join(", ")}`,
    digest,
    targetDigest,
  };
}

export const verify: Step = {
  name: "verify",
  async run(context) {
    const checks: { name: string; ok: boolean; detail?: string }[] = [];
    for (const check of context.workload.verify) {
      const outcome = await runCheck(context, check);
      if (!outcome.ok) throw failed(context, outcome.name, outcome.reason);
      checks.push({ name: outcome.name, ok: true, ...(outcome.detail ? { detail: outcome.detail } : {}) });
    }
    const manifest = await manifestCheck(context);
    if (!manifest.ok) throw failed(context, "manifest", manifest.reason);
    checks.push({ name: "manifest", ok: true, detail: manifest.digest });
    return { checks, manifestDigest: manifest.digest, targetManifestDigest: manifest.targetDigest };
  },
};

function failed(context: StepContext, check: string, reason: string): RemoteError {
  return new RemoteError(
    "verify",
    `verify failed: ${reason}`,
    { host: context.workload.target, command: `check: ${check}`, exitCode: null },
    { retryable: false, hint: "the cutover is rolled back; fix the target and run apply again" },
  );
}
