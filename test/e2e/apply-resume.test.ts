/**
 * Resume on the real fleet: a fault injected between transfer and cutover (the test-only
 * MIGRATE_FAIL_AFTER switch) stops the portal workload; the next apply picks up at reconfigure,
 * never sends the transferred files again, and finishes with the downtime journaled.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Fleet, readFleet, resetSystems } from "../../fixtures/fleet/index.ts";
import { finishesOf, journalOf, newStateDir, ofType, runCli } from "./apply-support.ts";
import { address, sh } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");
const PLAN_NAME = "fleet-city-bureaus";

describe.skipIf(skipReason !== "")("apply resumes after a failure between transfer and cutover", () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = readFleet();
    await resetSystems();
  });
  afterAll(async () => {
    await resetSystems();
  });

  it("refuses to run without --yes when not on a terminal", async () => {
    const result = await runCli(["apply", fleet.planFile, "--state-dir", newStateDir()]);
    expect(result.exitCode).toBe(64);
    expect(result.stderr).toContain("pass --yes");
  });

  it("stops after the injected fault, then resumes at reconfigure without re-sending files; the operator rolls it back", async () => {
    const stateDir = newStateDir();
    const args = [
      "apply",
      fleet.planFile,
      "--yes",
      "--only",
      "portal",
      "--state-dir",
      stateDir,
      "--output",
      "plain",
    ];
    const first = await runCli(args, { MIGRATE_FAIL_AFTER: "portal/transfer" });
    expect(first.exitCode, first.stderr).toBe(3);
    const afterFirst = journalOf(stateDir, PLAN_NAME);
    const transfer = finishesOf(afterFirst, "portal", "transfer")[0];
    expect(transfer?.outputs.filesSent).toBeGreaterThan(0);
    expect(ofType(afterFirst, "workload-end")[0]).toMatchObject({
      workload: "portal",
      status: "failed",
      reason: expect.stringContaining("injected fault after portal/transfer"),
    });
    expect(ofType(afterFirst, "step-start").some((r) => r.key === "portal/cutover")).toBe(false);

    const status = await runCli(["status", fleet.planFile, "--state-dir", stateDir, "--json"]);
    const view = JSON.parse(status.stdout) as {
      waves: { bureaus: { workloads: { name: string; stepsDone: number }[] }[] }[];
    };
    const portal = view.waves
      .flatMap((w) => w.bureaus.flatMap((b) => b.workloads))
      .find((w) => w.name === "portal");
    expect(portal?.stepsDone).toBe(2);

    const second = await runCli(args);
    expect(second.exitCode, second.stderr).toBe(0);
    const records = journalOf(stateDir, PLAN_NAME);
    const runId = ofType(records, "run-start")[1]?.runId;
    const secondRun = records.filter((r) => "runId" in r && r.runId === runId);
    const started = ofType(secondRun, "step-start").map((r) => r.key);
    expect(started).not.toContain("portal/snapshot");
    expect(started).not.toContain("portal/transfer");
    expect(started).toEqual(["portal/reconfigure", "portal/cutover", "portal/verify"]);
    const cutover = finishesOf(secondRun, "portal", "cutover")[0];
    // The final delta sync sends only what changed since the snapshot, never the whole tree.
    expect(cutover?.outputs.delta.filesSent).toBeLessThan(Number(transfer?.outputs.filesSent));
    const end = ofType(secondRun, "workload-end")[0];
    expect(end).toMatchObject({ workload: "portal", status: "succeeded" });
    expect(end?.downtimeMs).toBeGreaterThan(0);
    expect(end?.downtimeBudgetMs).toBe(600_000);

    // Migrated: the gateway sends the portal's traffic to the target.
    const upstream = () => sh("gw", "cat /etc/nginx/conf.d/portal.upstream").then((r) => r.stdout);
    expect(await upstream()).toContain(`server ${address("tgt-1")}:80;`);

    // The operator rolls the migrated portal back: journaled, checked on the hosts, and the next
    // plan starts it over.
    const rollback = await runCli(["rollback", fleet.planFile, "portal", "--yes", "--state-dir", stateDir]);
    expect(rollback.exitCode, rollback.stderr).toBe(0);
    const undone = ofType(journalOf(stateDir, PLAN_NAME), "step-finish").filter(
      (r) => r.key === "portal/rollback",
    );
    expect(undone).toHaveLength(1);
    expect(await upstream()).toBe(`upstream portal { server ${address("portal-src")}:80; }\n`);
    expect((await sh("portal-src", "systemctl is-active nginx")).stdout.trim()).toBe("active");
    expect((await sh("tgt-1", "systemctl is-active nginx")).stdout.trim()).toBe("inactive");
    const response = await fetch(`http://${address("gw")}/portal/`, { signal: AbortSignal.timeout(10_000) });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("市政务服务网");
    const after = await runCli(["status", fleet.planFile, "--state-dir", stateDir]);
    expect(after.stdout).toMatch(/portal\s+rolled-back\s+0\/5/);
    const again = await runCli(["rollback", fleet.planFile, "portal", "--yes", "--state-dir", stateDir]);
    expect(again.exitCode).toBe(64);
    expect(again.stderr).toContain("already rolled back");
  });
});
