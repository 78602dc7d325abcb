/**
 * SIGTERM (systemd, a CI cancel) stops `rollback` and `seed` as gracefully as Ctrl-C stops apply,
 * through the one command session: the command says it is stopping, exits 130 and releases the
 * state lock; a rollback is journaled as interrupted. What keeps each command busy when the
 * signal comes, whatever the machine's speed: the gateway's sshd frozen (SIGSTOP) for the
 * rollback, a bandwidth budget for the seed export.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Fleet, freezeHost, readFleet, resetSystems, thawHost } from "../../fixtures/fleet/index.ts";
import { journalOf, newStateDir, ofType, runCli, startCli, throttledPlan, until } from "./apply-support.ts";

const skipReason = inject("e2eSkipReason");
const PLAN_NAME = "fleet-city-bureaus";

describe.skipIf(skipReason !== "")("SIGTERM stops rollback and seed gracefully", () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = readFleet();
    await resetSystems();
  });
  afterAll(async () => {
    thawHost("gw");
    await resetSystems();
  });

  it("rollback: journaled as interrupted, exit 130, lock released", async () => {
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
    expect(ofType(records, "workload-end").at(-1)).toMatchObject({
      workload: "portal",
      status: "interrupted",
    });
    expect(ofType(records, "run-end").at(-1)?.status).toBe("interrupted");
    expect(existsSync(join(stateDir, PLAN_NAME, "lock"))).toBe(false);
  });

  it("seed export: stops before the bundle is complete, exit 130, lock released", async () => {
    const stateDir = newStateDir();
    const to = join(mkdtempSync(join(tmpdir(), "seed-sigterm-")), "disk");
    // 1 MiB/s: the ~20 MiB portal takes about 20 s to export.
    const plan = throttledPlan(fleet.planFile, "1MiB/s");
    const child = startCli(["seed", "export", plan, "--only", "portal", "--to", to, "--state-dir", stateDir]);
    let stderr = "";
    child.stderr?.on("data", (data: Buffer) => {
      stderr += data.toString();
    });
    await until(() => stderr.includes("listing and hashing"), "the export to start");
    child.kill("SIGTERM");
    const result = await child;

    expect(result.exitCode, String(result.stderr)).toBe(130);
    expect(String(result.stderr)).toContain("stopping…");
    expect(String(result.stderr)).not.toContain("Exported portal");
    expect(existsSync(join(stateDir, PLAN_NAME, "lock"))).toBe(false);
  });
});
