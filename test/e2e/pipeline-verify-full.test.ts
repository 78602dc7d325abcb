/**
 * `verify: { full: true }`: the cutover hashes every file of the target's tree (an audit),
 * journals that it did, and verify's manifest check says so; the list form hashes only what
 * no evidence of the transfer vouches for.
 */
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { Check } from "../../src/plan/schema.ts";
import { apply, finished, journal, preparePlan, resetFleet } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");

describe.skipIf(skipReason !== "")("pipeline: verify with a full re-hash", () => {
  let stateDir: string;
  let result: { exitCode?: number; stderr: string };

  beforeAll(async () => {
    await resetFleet();
    const prepared = preparePlan((plan) => {
      const portal = plan.workloads?.find((w) => w.name === "portal");
      if (portal) portal.verify = { full: true, checks: (portal.verify ?? []) as Check[] };
    });
    stateDir = prepared.stateDir;
    const run = await apply(prepared.planFile, stateDir, ["--only", "portal"]);
    result = { exitCode: run.exitCode, stderr: run.stderr };
  });

  it("hashes every file of the target at the cutover and says so", () => {
    expect(result.exitCode, result.stderr.slice(-2000)).toBe(0);
    const snapshot = finished(journal(stateDir), "portal/snapshot") as { files: number };
    const cutover = finished(journal(stateDir), "portal/cutover") as {
      targetTree: { full: boolean; filesHashed: number };
    };
    expect(cutover.targetTree.full).toBe(true);
    expect(cutover.targetTree.filesHashed).toBeGreaterThan(0);
    expect(cutover.targetTree.filesHashed).toBeLessThan(snapshot.files);
    const verify = finished(journal(stateDir), "portal/verify") as {
      checks: { name: string; detail?: string }[];
    };
    expect(verify.checks.find((check) => check.name === "manifest")?.detail).toContain("every file hashed");
  });
});
