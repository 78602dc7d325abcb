/**
 * Issue 13 item 3 on the fleet: a large file goes by ranges, each verified on the target and
 * journaled. `migrate apply` SIGKILLed at 75 % of it resumes from the last verified range — the
 * bytes sent twice are under 5 % of the file — and the file arrives whole, with its metadata,
 * and no partial copy is left. The resumed transfer's progress total, announced before the first
 * byte, is what its progress ends at (tree of many small files beside the large one).
 */
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { JournalRecord } from "../../src/engine/journal/journal-record.ts";
import { apply, finished, journal, preparePlan, resetFleet, sh } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");
const MiB = 1024 * 1024;
const SIZE = 384 * MiB;
const FILE = "/srv/portal/archive/scans-2019.bin";

interface Progress {
  type: string;
  step: string;
  bytesDone: number;
  bytesTotal: number;
}

function transferProgress(stdout: string): Progress[] {
  return stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Progress)
    .filter((event) => event.type === "step-progress" && event.step === "transfer");
}

function throughOf(records: readonly JournalRecord[]): number {
  const last = records.filter((r) => r.type === "step-checkpoint" && r.key === "portal/transfer").at(-1);
  return last?.type === "step-checkpoint" && last.step === "transfer"
    ? (last.data.large?.current?.through ?? 0)
    : 0;
}

// Two steps of one story (killed, then resumed): never shuffled.
describe.skipIf(skipReason !== "")(
  "a large file resumes from its verified ranges",
  { shuffle: false },
  () => {
    let stateDir: string;
    let planFile: string;
    let throughAtKill = 0;
    let sentBeforeKill = 0;

    beforeAll(async () => {
      await resetFleet();
      const seeded = await sh(
        "portal-src",
        `mkdir -p /srv/portal/archive /srv/portal/many && head -c ${SIZE} /dev/urandom > ${FILE} && ` +
          // Ten directories of 200 files cut from one stream each: a process per file costs
          // milliseconds on the CI machines.
          "for d in 0 1 2 3 4 5 6 7 8 9; do mkdir -p /srv/portal/many/d$d && head -c 40000 /dev/urandom | split -b 200 -d -a 3 --additional-suffix=.txt - /srv/portal/many/d$d/f-; done",
      );
      expect(seeded.code, seeded.stderr).toBe(0);
      // A budget slow enough that the kill lands inside the file, fast enough for a test.
      ({ planFile, stateDir } = preparePlan((plan) => {
        plan.defaults = { ...plan.defaults, bandwidth: "40MiB/s" };
      }));
      const first = apply(planFile, stateDir, ["--only", "portal"]);
      const deadline = Date.now() + 100_000;
      while (Date.now() < deadline && throughAtKill < SIZE * 0.75) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        try {
          throughAtKill = throughOf(journal(stateDir));
        } catch {
          // The journal is not there yet, or its last line is being written.
        }
      }
      first.kill("SIGKILL");
      const killed = await first;
      throughAtKill = throughOf(journal(stateDir));
      sentBeforeKill = transferProgress(String(killed.stdout)).at(-1)?.bytesDone ?? 0;
    }, 150_000);

    it("was killed at 75 % of the file, with the verified part journaled", () => {
      expect(throughAtKill).toBeGreaterThanOrEqual(SIZE * 0.75);
      expect(throughAtKill).toBeLessThan(SIZE);
      expect(finished(journal(stateDir), "portal/transfer")).toBeUndefined();
    });

    it("resends under 5 % of the file, and the file arrives whole", async () => {
      const second = await apply(planFile, stateDir, ["--only", "portal"]);
      expect(second.exitCode, String(second.stderr).slice(-2000)).toBe(0);
      const transfer = finished(journal(stateDir), "portal/transfer") as {
        bytesResumed: number;
        filesByRanges: number;
      };
      expect(transfer.filesByRanges).toBe(1);
      expect(transfer.bytesResumed).toBe(throughAtKill);
      // What the first attempt had sent beyond what it verified is all that goes twice.
      const resent = Math.max(0, sentBeforeKill - transfer.bytesResumed);
      expect(resent / SIZE).toBeLessThan(0.05);
      const sum = `sha256sum ${FILE} && stat -c '%s %a %u %g %Y' ${FILE}`;
      expect((await sh("tgt-1", sum)).stdout).toBe((await sh("portal-src", sum)).stdout);
      expect((await sh("tgt-1", "find /srv/portal -name '.migrate-partial.*'")).stdout).toBe("");

      // Progress: the total announced before the first byte is what the progress ends at.
      const progress = transferProgress(String(second.stdout));
      expect(progress.length).toBeGreaterThan(1);
      expect(progress[0]!.bytesDone).toBe(0);
      expect(progress.at(-1)!.bytesDone).toBe(progress[0]!.bytesTotal);
      for (const event of progress) expect(event.bytesTotal).toBe(progress[0]!.bytesTotal);
    }, 150_000);
  },
);
