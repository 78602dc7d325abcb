/**
 * The state lock on the real fleet: a second apply on the same state is refused with the holder
 * named; `status` follows the running apply without the lock; after the holder is killed with
 * SIGKILL mid-transfer the stale lock is recovered (and journaled), and the transfer resumes
 * from its last checkpoint instead of starting over.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Fleet, readFleet, resetSystems, seedBulkData } from "../../fixtures/fleet/index.ts";
import {
  finishesOf,
  journalOf,
  newStateDir,
  ofType,
  runCli,
  startCli,
  throttledPlan,
  until,
} from "./apply-support.ts";

const skipReason = inject("e2eSkipReason");
const PLAN_NAME = "fleet-city-bureaus";

describe.skipIf(skipReason !== "")("apply's state lock", () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = readFleet();
    await resetSystems();
    // A batch holds at most 4,000 files, so with these the portal is at least two file batches:
    // the kill below lands on the first checkpoint with a whole batch (seconds at 2 MiB/s) still
    // to send. With one batch the window was the last directories batch, ~50 ms: a race.
    await seedBulkData("portal-src", "/srv/portal/bulk", { bytes: 4000 * 4096, smallFiles: 4000 });
  });
  afterAll(async () => {
    await resetSystems();
  });

  it("refuses a second apply, then recovers the lock of a SIGKILLed one and resumes its transfer", async () => {
    const stateDir = newStateDir();
    const lockFile = join(stateDir, PLAN_NAME, "lock");
    // Stop before cutover so the killed run never leaves a frozen source behind.
    const env = { MIGRATE_FAIL_AFTER: "portal/transfer" };
    // 2 MiB/s: the portal's ~36 MiB transfer takes ~18 s, in more than one checkpointed batch.
    const planFile = throttledPlan(fleet.planFile, "2MiB/s");
    const args = [
      "apply",
      planFile,
      "--yes",
      "--only",
      "portal",
      "--state-dir",
      stateDir,
      "--output",
      "json",
    ];
    const first = startCli(args, env);
    await until(
      () => ofType(journalOf(stateDir, PLAN_NAME), "step-start").some((r) => r.key === "portal/transfer"),
      "the first apply to start its transfer",
    );
    const holder = JSON.parse(readFileSync(lockFile, "utf8")) as { pid: number; command: string };
    expect(holder.pid).toBe(first.pid);

    const second = await runCli(args, env);
    expect(first.exitCode, "the first apply must still be running").toBeNull();
    expect(second.exitCode, second.stderr).toBe(5);
    expect(second.stderr).toContain(`locked by pid ${first.pid}`);
    expect(second.stderr).toContain("migrate apply");

    const running = await runCli(["status", planFile, "--state-dir", stateDir, "--json"]);
    expect(running.exitCode).toBe(0);
    expect(JSON.parse(running.stdout)).toMatchObject({ running: { pid: first.pid } });

    // Kill it as soon as a batch is verified and checkpointed, before the transfer can finish.
    await until(
      () =>
        ofType(journalOf(stateDir, PLAN_NAME), "step-checkpoint").some((r) => r.key === "portal/transfer"),
      "the first apply to checkpoint its transfer",
    );
    first.kill("SIGKILL");
    await first;
    expect(existsSync(lockFile)).toBe(true);
    const crashed = await runCli(["status", planFile, "--state-dir", stateDir]);
    expect(crashed.stdout).toMatch(/portal\s+interrupted/);
    expect(crashed.stdout).toContain("process gone");

    const third = await runCli(args, env);
    expect(third.exitCode, third.stderr).toBe(3);
    expect(third.stderr).toContain(`took over a stale lock left by pid ${first.pid}`);
    expect(existsSync(lockFile)).toBe(false);
    const records = journalOf(stateDir, PLAN_NAME);
    expect(ofType(records, "lock-recovered")[0]?.previous.pid).toBe(first.pid);
    const transfers = finishesOf(records, "portal", "transfer");
    expect(transfers).toHaveLength(1);
    // Files verified on the target before the kill are not sent again.
    expect(Number(transfers[0]?.outputs.filesSkipped)).toBeGreaterThan(0);
    expect(ofType(records, "step-interrupted")).toHaveLength(0);
  });
});
