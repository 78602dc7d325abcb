/**
 * Hooks and finalize on the fleet (issue 14): a failing mustSucceed hook before the switch
 * leaves traffic on the source; a hook after the switch warms a cache on the gateway; a failing
 * optional hook is a journaled warning; finalize disables the source's services and removes the
 * staging on both hosts, and rollback is refused afterwards.
 */
import { join } from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { PlanInput } from "../../src/plan/schema.ts";
import { address, apply, journal, preparePlan, resetFleet, sh } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");
const BIN = join(import.meta.dirname, "../../bin/migrate");

function portalOf(plan: PlanInput) {
  const portal = plan.workloads?.find((w) => w.name === "portal");
  if (!portal) throw new Error("the fleet plan has no portal workload");
  return portal;
}

async function cli(args: string[]) {
  const result = await execa(BIN, args, { reject: false, env: { NO_COLOR: "1", CI: "true" } });
  return { exitCode: result.exitCode ?? -1, stderr: String(result.stderr) };
}

async function portalServedBy(): Promise<string> {
  return (await sh("gw", "cat /etc/nginx/conf.d/portal.upstream")).stdout;
}

describe.skipIf(skipReason !== "")("lifecycle: a failing mustSucceed hook before the switch", () => {
  let stateDir: string;
  let exitCode: number | undefined;

  beforeAll(async () => {
    await resetFleet();
    const prepared = preparePlan((plan) => {
      portalOf(plan).hooks = {
        before: {
          cutover: [{ host: "gw", run: "echo maintenance page refused >&2; exit 7", timeout: "30s" }],
        },
      };
    });
    stateDir = prepared.stateDir;
    exitCode = (await apply(prepared.planFile, stateDir, ["--only", "portal"])).exitCode;
  });

  it("fails the cutover without freezing or switching: traffic stays on the source", async () => {
    expect(exitCode).toBe(3);
    expect(await portalServedBy()).toBe(`upstream portal { server ${address("portal-src")}:80; }\n`);
    expect((await sh("portal-src", "systemctl is-active nginx")).stdout.trim()).toBe("active");
    const response = await fetch(`http://${address("gw")}/portal/`, { signal: AbortSignal.timeout(10_000) });
    expect(response.status).toBe(200);
    const records = journal(stateDir);
    expect(records.some((r) => r.type === "step-start" && r.key === "portal/rollback")).toBe(false);
    const end = records.find((r) => r.type === "workload-end" && r.workload === "portal");
    expect(end).toMatchObject({ status: "failed" });
    expect(end?.type === "workload-end" && end.reason).toContain("traffic stays on the source");
  });

  it("journals the hook's start, exit code and stderr tail, and the step's non-retryable failure", () => {
    const records = journal(stateDir);
    expect(records.filter((r) => r.type === "hook-start")).toHaveLength(1);
    const end = records.find((r) => r.type === "hook-end");
    expect(end).toMatchObject({
      workload: "portal",
      step: "cutover",
      hook: "cutover/before/0",
      host: "gw",
      ok: false,
      exitCode: 7,
      mustSucceed: true,
      stderrTail: "maintenance page refused",
    });
    const fail = records.find((r) => r.type === "step-fail" && r.key === "portal/cutover");
    expect(fail).toMatchObject({ willRetry: false, error: { kind: "remote", host: "gw", exitCode: 7 } });
  });
});

describe.skipIf(skipReason !== "")("lifecycle: hooks after the switch, then finalize", () => {
  let planFile: string;
  let stateDir: string;
  let exitCode: number | undefined;

  beforeAll(async () => {
    await resetFleet();
    await sh("gw", "rm -rf /var/cache/warm");
    const prepared = preparePlan((plan) => {
      portalOf(plan).hooks = {
        after: {
          cutover: [
            {
              host: "gw",
              run: `mkdir -p /var/cache/warm && curl -fsS http://${address("gw")}/portal/ -o /var/cache/warm/portal.html`,
            },
          ],
          verify: [{ host: "tgt-1", run: "echo duty phone unreachable >&2; exit 3", mustSucceed: false }],
        },
      };
    });
    ({ planFile, stateDir } = prepared);
    exitCode = (await apply(planFile, stateDir, ["--only", "portal"])).exitCode;
  });

  it("warms the cache through the gateway after the switch (the target's page)", async () => {
    expect(exitCode).toBe(0);
    const warmed = await sh("gw", "cat /var/cache/warm/portal.html");
    expect(warmed.code).toBe(0);
    expect(warmed.stdout).toContain("市政务服务网");
    expect(await portalServedBy()).toBe(`upstream portal { server ${address("tgt-1")}:80; }\n`);
  });

  it("records a failing optional hook as a warning and migrates the workload anyway", () => {
    const records = journal(stateDir);
    const warning = records.find((r) => r.type === "hook-end" && r.hook === "verify/after/0");
    expect(warning).toMatchObject({ ok: false, exitCode: 3, mustSucceed: false });
    const end = records.find((r) => r.type === "workload-end" && r.workload === "portal");
    expect(end).toMatchObject({ status: "succeeded" });
  });

  it("finalize leaves no staging on either host and no source service enabled; rollback is refused", async () => {
    // The rewrite backups a rollback would restore are staged on the target.
    expect((await sh("tgt-1", "test -d /var/lib/migrate/portal/rewrite")).code).toBe(0);
    const finalized = await cli(["finalize", planFile, "--only", "portal", "--yes", "--state-dir", stateDir]);
    expect(finalized.exitCode).toBe(0);
    for (const host of ["portal-src", "tgt-1"])
      expect((await sh(host, "test -e /var/lib/migrate/portal")).code).not.toBe(0);
    expect((await sh("portal-src", "systemctl is-enabled nginx")).stdout.trim()).toBe("disabled");
    expect((await sh("portal-src", "systemctl is-active nginx")).stdout.trim()).toBe("inactive");
    // Disabled, never deleted: the unit and its files stay.
    expect((await sh("portal-src", "test -f /etc/systemd/system/nginx.service")).code).toBe(0);
    const record = journal(stateDir).find((r) => r.type === "finalize");
    expect(record).toMatchObject({ workload: "portal", servicesDisabled: ["nginx.service"] });

    const rollback = await cli(["rollback", planFile, "portal", "--yes", "--state-dir", stateDir]);
    expect(rollback.exitCode).toBe(64);
    expect(rollback.stderr).toContain("was finalized at");
    expect(rollback.stderr).toContain("rollback is no longer offered");
    expect(await portalServedBy()).toBe(`upstream portal { server ${address("tgt-1")}:80; }\n`);
  });

  it("shows who finalized in status, and the hooks and the finalize in the sign-off report", async () => {
    const env = { NO_COLOR: "1", CI: "true" };
    const status = await execa(BIN, ["status", planFile, "--state-dir", stateDir], { env });
    expect(String(status.stdout)).toMatch(
      /portal .*\n\s+finalized \d{4}-\d\d-\d\d \d\d:\d\d \+08:00 by \S+@\S+/,
    );
    const report = String((await execa(BIN, ["report", planFile, "--state-dir", stateDir], { env })).stdout);
    expect(report).toContain("### Finalized (rollback no longer offered)");
    expect(report).toMatch(/\| portal \| cutover\/after\/0 on gw: mkdir -p \/var\/cache\/warm .* \| ok \|/);
    expect(report).toContain("exit 3 (warning): duty phone unreachable");
  });

  it("refuses to finalize a workload that has not passed verify, before changing anything", async () => {
    const refused = await cli([
      "finalize",
      planFile,
      "--only",
      "tax-collection",
      "--yes",
      "--state-dir",
      stateDir,
    ]);
    expect(refused.exitCode).toBe(64);
    expect(refused.stderr).toContain("tax-collection: its verify never ran");
    expect(journal(stateDir).filter((r) => r.type === "run-start" && r.command === "finalize")).toHaveLength(
      1,
    );
  });
});
