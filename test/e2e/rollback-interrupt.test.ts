/**
 * SIGTERM (systemd, a CI cancel) stops `migrate rollback` as gracefully as Ctrl-C stops apply:
 * the rollback is journaled as interrupted, the command exits 130 and the lock is released. The
 * gateway's sshd is frozen (SIGSTOP) so the rollback is still waiting on it when the signal
 * comes, whatever the machine's speed.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Fleet, freezeHost, readFleet, resetSystems, thawHost } from "../../fixtures/fleet/index.ts";
import { journalOf, newStateDir, ofType, runCli, startCli, until } from "./apply-support.ts";

const skipReason = inject("e2eSkipReason");
const PLAN_NAME = "fleet-city-bureaus";

describe.skipIf(skipReason !== "")("rollback on SIGTERM", () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = readFleet();
    await resetSystems();
  });
  afterAll(async () => {
    thawHost("gw");
    await resetSystems();
  });

  it("journals the rollback as interrupted, exits 130 and releases the lock", async () => {
    const stateDir = newStateDir();
    const common = ["--state-dir", stateDir, "--output", "plain"];
    const applied = await runCli(["apply", fleet.planFile, "--yes", "--only", "portal", ...common]);
    expect(applied.exitCode, applied.stderr).toBe(0);

    freezeHost("gw");
    const child = startCli(["rollback", fleet.planFile, "portal", "--yes", ...common]);
    // run-start is journaled once the session is up, so the signal meets the command's handler.
    await until(
      () => ofType(journalOf(stateDir, PLAN_NAME), "run-start").some((r) => r.command === "rollback"),
      "the rollback to start",
    );
    child.kill("SIGTERM");
    const result = await child;
    thawHost("gw");

    expect(result.exitCode, String(result.stderr)).toBe(130);
    expect(String(result.stderr)).toContain("stopping… in-flight steps are being journaled");
    const records = journalOf(stateDir, PLAN_NAME);
    const ends = ofType(records, "workload-end");
    expect(ends.at(-1)).toMatchObject({ workload: "portal", status: "interrupted" });
    expect(ofType(records, "run-end").at(-1)?.status).toBe("interrupted");
    expect(existsSync(join(stateDir, PLAN_NAME, "lock"))).toBe(false);
  });
});
