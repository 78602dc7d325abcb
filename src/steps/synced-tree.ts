/**
 * The target's tree after an exact final sync, without listing it again. The final sync listed
 * the target once, under the freeze, and left an entry alone only when its whole canonical line
 * there (the digest vouched for by evidence or hashed there) equalled the final manifest's; it
 * deleted what the source no longer has and sent the rest, each batch verified against the final
 * manifest on arrival. So the target holds the final manifest, except where a verification
 * accepted a file the source changed meanwhile (the freeze broken) — counted, and a mismatch
 * here — and the rewritten files, whose after-state is checked on the target now.
 */
import { collectManifest } from "../manifest/collect.ts";
import { canonicalLine, type ManifestEntry } from "../manifest/model.ts";
import { linkGroupsOfFile, type ManifestSummary, readEntries, StreamDigest } from "../manifest/store.ts";
import { rewrittenAs } from "../transfer/delta.ts";
import type { VerifyInput } from "./inputs.ts";
import { QUICK_MS } from "./support.ts";
import { rewritesHold, type TreeComparison } from "./target-tree.ts";
import type { StepContext } from "./types.ts";

export async function syncedTree(
  tree: Pick<VerifyInput, "target" | "hash">,
  context: StepContext,
  expectedFile: string,
  final: ManifestSummary,
  rewritten: ReadonlyMap<string, string>,
  /** Files hashed on the target because no evidence vouched for them. */
  filesHashed: number,
  /** Files a batch's verification accepted because the source had changed them since listed. */
  changedMeanwhile: number,
): Promise<TreeComparison> {
  const result = { digest: final.digest, targetDigest: final.digest, filesHashed, full: false };
  const mismatch = (what: string): TreeComparison => ({
    ...result,
    ok: false,
    targetDigest: "",
    reason: `manifest: target ${tree.target.name} does not match the source: ${what}`,
  });
  if (changedMeanwhile > 0)
    return mismatch(`${changedMeanwhile} file(s) changed on the frozen source while they were sent`);
  if (rewritten.size === 0) return { ...result, ok: true, reason: "" };
  // The expected digest holds the rewritten files as the target holds them after the rewrite.
  const target = await context.remote(tree.target.name);
  const held = await rewritesHold(context, target, rewritten);
  const listed = await collectManifest(target, [...rewritten.keys()], {
    mode: "list",
    hash: tree.hash,
    signal: context.signal,
    timeoutMs: QUICK_MS,
  });
  const there = new Map(listed.map((entry) => [entry.path, entry]));
  const groupOf = await linkGroupsOfFile(expectedFile);
  const want = new StreamDigest(tree.hash, groupOf);
  let first: string | undefined;
  let differing = 0;
  for await (const entry of readEntries(expectedFile)) {
    const now = rewritten.has(entry.path) ? there.get(entry.path) : undefined;
    if (!rewritten.has(entry.path)) {
      want.add(entry);
      continue;
    }
    const as: ManifestEntry | undefined = now && rewrittenAs(entry, now);
    const group = groupOf(entry);
    const holds =
      as !== undefined && held.has(entry.path) && canonicalLine(as, group) === canonicalLine(now!, group);
    if (!holds && differing++ === 0) first = entry.path;
    want.add(holds ? as : entry);
  }
  if (differing > 0) return mismatch(`${differing} differ or are missing (e.g. ${JSON.stringify(first)})`);
  const digest = want.value();
  return { ...result, ok: true, reason: "", digest, targetDigest: digest };
}
