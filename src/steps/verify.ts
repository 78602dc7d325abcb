/**
 * verify: after the switch, the plan's checks (health: http, tcp, row counts, commands). The
 * target's tree was compared with the source's final manifest by the cutover, before the
 * target's services started — the data as of the switch — so files the live application writes
 * from then on never fail verify (and never trigger a rollback that would discard them). A
 * cutover journaled by an older migrate, without that comparison, is compared here as before.
 * The first failure is a RemoteError("verify"), never retried; the engine then rolls back.
 */
import { RemoteError } from "../errors.ts";
import { runCheck } from "./checks.ts";
import type { VerifyInput } from "./inputs.ts";
import { latestManifestFile } from "./support.ts";
import { compareTargetTree } from "./target-tree.ts";
import type { Step, StepContext } from "./types.ts";

function rewrittenHashes(context: StepContext): Map<string, string> {
  const records = context.outputsOf("cutover")?.rewrites ?? context.outputsOf("reconfigure")?.rewrites ?? [];
  return new Map(records.map((record) => [record.file, record.after]));
}

/** The comparison the cutover made before the switch, or one made now for an older journal. */
async function treeCheck(
  input: VerifyInput,
  context: StepContext,
): Promise<{ digest: string; targetDigest: string; when: string }> {
  const checked = context.outputsOf("cutover")?.targetTree;
  if (checked) {
    const hashed =
      checked.filesHashed === undefined
        ? ""
        : checked.full
          ? `, every file hashed`
          : `, ${checked.filesHashed} file(s) hashed, the rest vouched for by the transfer's evidence`;
    return {
      digest: checked.digest,
      targetDigest: checked.targetDigest,
      when: `before the target started${hashed}`,
    };
  }
  const expected = await latestManifestFile(context, ["cutover", "snapshot"], input.workload);
  // An older journal has no evidence of what the transfer verified: every file is hashed.
  const tree = await compareTargetTree(input, context, expected.file, rewrittenHashes(context), true);
  if (!tree.ok) throw failed(input, "manifest", tree.reason);
  return {
    digest: tree.digest,
    targetDigest: tree.targetDigest,
    when: "after the switch, every file hashed",
  };
}

export const verify: Step<"verify"> = {
  name: "verify",
  async run(input, context) {
    const checks: { name: string; ok: boolean; detail?: string }[] = [];
    // The checks are independent and the workload is down until they pass: all at once, each
    // settled before the first failure (in the plan's order) is reported.
    const settled = await Promise.allSettled(input.checks.map((check) => runCheck(input, context, check)));
    for (const result of settled) {
      if (result.status === "rejected") throw result.reason;
      const outcome = result.value;
      if (!outcome.ok) throw failed(input, outcome.name, outcome.reason);
      checks.push({ name: outcome.name, ok: true, ...(outcome.detail ? { detail: outcome.detail } : {}) });
    }
    const tree = await treeCheck(input, context);
    checks.push({ name: "manifest", ok: true, detail: `${tree.digest} (checked ${tree.when})` });
    return { checks, manifestDigest: tree.digest, targetManifestDigest: tree.targetDigest };
  },
};

function failed(input: VerifyInput, check: string, reason: string): RemoteError {
  return new RemoteError(
    "verify",
    `verify failed: ${reason}`,
    { host: input.target.name, command: `check: ${check}`, exitCode: null },
    { retryable: false, hint: "the cutover is rolled back; fix the target and run apply again" },
  );
}
