/**
 * Ctrl-C on the real fleet: SIGINT during a transfer stops apply gracefully — the running step
 * gets the abort signal and is journaled as interrupted, the run ends interrupted with exit code
 * 130 and says how to resume; the lock is released.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Fleet, readFleet, resetSystems } from "../../fixtures/fleet/index.ts";
import { journalOf, newStateDir, ofType, startCli, throttledPlan, until } from "./apply-support.ts";

const skipReason = inject("e2eSkipReason");
const PLAN_NAME = "fleet-city-bureaus";

describe.skipIf(skipReason !== "")("apply on SIGINT", () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = readFleet();
    await resetSystems();
  });
  afterAll(async () => {
    await resetSystems();
  });

  it("journals the interrupted step, exits 130 and names the resume command", async () => {
    const stateDir = newStateDir();
    const planFile = throttledPlan(fleet.planFile, "1MiB/s");
    const args = [
      "apply",
      planFile,
      "--yes",
      "--only",
      "portal",
      "--state-dir",
      stateDir,
      "--output",
      "plain",
    ];
    const child = startCli(args);
    await until(
      () => ofType(journalOf(stateDir, PLAN_NAME), "step-start").some((r) => r.key === "portal/transfer"),
      "the transfer to start",
    );
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode, String(result.stderr)).toBe(130);
    expect(String(result.stderr)).toContain(`Resume with: migrate apply ${planFile} --yes`);
    const records = journalOf(stateDir, PLAN_NAME);
    expect(ofType(records, "step-interrupted").map((r) => r.key)).toEqual(["portal/transfer"]);
    expect(ofType(records, "workload-end")[0]).toMatchObject({ workload: "portal", status: "interrupted" });
    expect(ofType(records, "run-end")[0]?.status).toBe("interrupted");
    expect(existsSync(join(stateDir, PLAN_NAME, "lock"))).toBe(false);
  });
});
