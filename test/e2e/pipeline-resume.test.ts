/**
 * A transfer killed half-way (SIGKILL: no chance to clean up) resumes from its checkpoints: the
 * next apply sends only the batches and ranges not yet verified on the target, reports what it skipped,
 * and the result still verifies against the source's manifest.
 */
import { beforeAll, describe, expect, inject, it } from "vitest";
import { seedBulkData } from "../../fixtures/fleet/index.ts";
import { apply, finished, journal, preparePlan, resetFleet, sh } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");
const BULK = 320 * 1024 * 1024;

// Two steps of one story (killed, then resumed): never shuffled.
describe.skipIf(skipReason !== "")("pipeline: transfer resumes after a crash", { shuffle: false }, () => {
  let stateDir: string;
  let planFile: string;
  let checkpointsBeforeKill = 0;

  beforeAll(async () => {
    await resetFleet();
    await seedBulkData("portal-src", "/srv/portal/bulk", { bytes: BULK, smallFiles: 3000 });
    // A shared budget slow enough that the kill lands mid-transfer, fast enough for a test.
    ({ planFile, stateDir } = preparePlan((plan) => {
      plan.defaults = { ...plan.defaults, bandwidth: "64MiB/s" };
    }));
    const first = apply(planFile, stateDir, ["--only", "portal"]);
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      let records: ReturnType<typeof journal> = [];
      try {
        records = journal(stateDir);
      } catch {
        continue;
      }
      checkpointsBeforeKill = records.filter(
        (r) => r.type === "step-checkpoint" && r.key === "portal/transfer",
      ).length;
      if (checkpointsBeforeKill >= 2) break;
    }
    first.kill("SIGKILL");
    await first;
  });

  it("was killed after some batches were verified and before the transfer finished", () => {
    expect(checkpointsBeforeKill).toBeGreaterThanOrEqual(2);
    expect(finished(journal(stateDir), "portal/transfer")).toBeUndefined();
  });

  it("resumes without resending verified files, and the target verifies", async () => {
    const second = await apply(planFile, stateDir, ["--only", "portal"]);
    expect(second.exitCode, second.stderr.slice(-2000)).toBe(0);
    const records = journal(stateDir);
    const transfer = finished(records, "portal/transfer") as {
      filesSent: number;
      filesSkipped: number;
      bytesSent: number;
      bytesResumed: number;
    };
    const snapshot = finished(records, "portal/snapshot") as { files: number; bytes: number };
    // Whole batches or files skipped, or the verified ranges of the large file not sent again.
    expect(transfer.filesSkipped + transfer.bytesResumed).toBeGreaterThan(0);
    expect(transfer.filesSent + transfer.filesSkipped).toBe(snapshot.files);
    expect(transfer.bytesSent).toBeLessThan(snapshot.bytes);
    expect(finished(records, "portal/verify")).toBeDefined();
    const sums = "cd /srv/portal/bulk && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum";
    expect((await sh("tgt-1", sums)).stdout).toBe((await sh("portal-src", sums)).stdout);
  });
});
