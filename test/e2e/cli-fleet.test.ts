/**
 * README promises of the command line that only hosts can show, run as an operator types them:
 * a maintenance window that has not opened refuses the cutover, one that closed half an hour ago
 * is refused by readiness before anything is copied, and `--ignore-window` overrides it; a plan
 * whose per-tenant limit binds runs its workloads one at a time; `--accept-new-host-keys` records first-seen keys; `--output github` annotates apply and
 * inventory failures; an unset `passwordEnv` stops apply with exit 4 before any step.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { hostExec, readFleet, resetSystems } from "../../fixtures/fleet/index.ts";
import type { JournalRecord } from "../../src/engine/journal/journal-record.ts";
import type { PlanInput } from "../../src/plan/schema.ts";
import { derivePlan, workloadOf } from "../support/reliability/derived-plan.ts";
import { applyArgs, runMigrate } from "../support/reliability/migrate-process.ts";
import { readJournalFile } from "../support/reliability/trial-checks.ts";

const skipReason = inject("e2eSkipReason");
const HOUR = 3_600_000;
const UPSTREAM = "/etc/nginx/conf.d/portal.upstream";

function address(name: string): string {
  return readFleet().hosts.find((h) => h.name === name)!.address;
}

async function gatewayPointsAt(): Promise<string> {
  const text = (await hostExec("gw", `cat ${UPSTREAM}`)).stdout;
  for (const host of ["portal-src", "tgt-1"]) if (text.includes(`server ${address(host)}:`)) return host;
  return `neither: ${text}`;
}

const ofType = <T extends JournalRecord["type"]>(records: readonly JournalRecord[], type: T) =>
  records.filter((r): r is Extract<JournalRecord, { type: T }> => r.type === type);

function allHosts(plan: PlanInput) {
  return [...(plan.sources ?? []), ...(plan.tenants ?? []).flatMap((t) => t.hosts ?? [])];
}

describe.skipIf(skipReason !== "")("the command line on the fleet", () => {
  beforeAll(async () => {
    await resetSystems();
    await hostExec("tgt-1", "systemctl start nginx");
  });
  afterAll(async () => {
    await resetSystems();
  });

  describe("maintenance windows", () => {
    const windowed = (name: string, startMs: number, endMs: number) =>
      derivePlan({
        workloads: ["portal"],
        name,
        edit: (plan) => {
          workloadOf(plan, "portal").window = {
            start: new Date(Date.now() + startMs).toISOString(),
            end: new Date(Date.now() + endMs).toISOString(),
          };
        },
      });

    it("refuses the cutover before the window opens; nothing is switched", async () => {
      await resetSystems();
      const derived = windowed("window-not-open", HOUR, 3 * HOUR);
      const run = await runMigrate(applyArgs(derived.planFile, derived.stateDir), { deadlineMs: 200_000 });
      expect(run.code, run.stderr).toBe(3);
      const records = readJournalFile(derived.stateDir, derived.planName).records;
      expect(ofType(records, "step-start").map((r) => r.step)).not.toContain("cutover");
      expect(ofType(records, "workload-end")[0]?.reason).toMatch(/has not opened yet.*--ignore-window/);
      expect(await gatewayPointsAt()).toBe("portal-src");
    });

    it("refuses it half an hour after the window closed, and --ignore-window on the command line overrides", async () => {
      await resetSystems();
      await hostExec("tgt-1", "systemctl start nginx");
      const derived = windowed("window-closed", -3 * HOUR, -HOUR / 2);
      const refused = await runMigrate(applyArgs(derived.planFile, derived.stateDir), {
        deadlineMs: 200_000,
      });
      // Readiness refuses a closed window before anything is copied (exit 6, docs/lifecycle.md).
      expect(refused.code, refused.stderr).toBe(6);
      expect(refused.stderr).toMatch(/maintenance window closed at .*--ignore-window/s);
      const before = readJournalFile(derived.stateDir, derived.planName).records;
      expect(ofType(before, "step-start")).toEqual([]);
      expect(await gatewayPointsAt()).toBe("portal-src");

      const forced = await runMigrate(applyArgs(derived.planFile, derived.stateDir, ["--ignore-window"]), {
        deadlineMs: 200_000,
      });
      expect(forced.code, forced.stderr).toBe(0);
      const after = readJournalFile(derived.stateDir, derived.planName).records;
      expect(ofType(after, "step-finish").map((r) => r.key)).toContain("portal/cutover");
      expect(ofType(after, "workload-end").at(-1)?.status).toBe("succeeded");
      expect(await gatewayPointsAt()).toBe("tgt-1");
    });
  });

  it("a per-tenant limit of 1 runs the tenant's workloads one after the other", async () => {
    await resetSystems();
    await hostExec("tgt-1", "systemctl start nginx");
    // portal and tax-collection share wave 1 and the tenant city-egov, on different hosts.
    const derived = derivePlan({
      workloads: ["portal", "tax-collection"],
      name: "tenant-limit",
      edit: (plan) => {
        plan.defaults = { ...plan.defaults, concurrency: 4, perHostConcurrency: 2, perTenantConcurrency: 1 };
      },
    });
    const run = await runMigrate(applyArgs(derived.planFile, derived.stateDir), { deadlineMs: 280_000 });
    expect(run.code, run.stderr).toBe(0);
    const records = readJournalFile(derived.stateDir, derived.planName).records;
    const span = (workload: string) => {
      const starts = records.filter((r) => r.type === "step-start" && r.workload === workload);
      const end = ofType(records, "workload-end").find((r) => r.workload === workload);
      return [Date.parse(starts[0]!.at), Date.parse(end!.at)] as const;
    };
    const [first, second] = [span("portal"), span("tax-collection")].sort((a, b) => a[0] - b[0]);
    // The second workload's first step starts only once the first workload has ended.
    expect(second![0]).toBeGreaterThanOrEqual(first![1]);
  }, 300_000);

  it("--accept-new-host-keys records first-seen keys, and later runs check against them", async () => {
    const derived = derivePlan({
      workloads: ["portal"],
      name: "accept-new",
      edit: (plan) => {
        for (const host of allHosts(plan)) delete host.hostKey;
      },
    });
    const knownHosts = join(derived.dir, "known_hosts");
    writeFileSync(knownHosts, "");
    const env = { MIGRATE_KNOWN_HOSTS: knownHosts };
    const accepted = await runMigrate(["inventory", derived.planFile, "--accept-new-host-keys"], {
      env,
      deadlineMs: 120_000,
    });
    expect(accepted.code, accepted.stderr).toBe(0);
    const lines = readFileSync(knownHosts, "utf8").trim().split("\n");
    for (const host of ["bastion", "gw", "portal-src", "tgt-1"])
      expect(
        lines.filter((line) => line.startsWith(`${address(host)} `) || line.includes(`${address(host)}]`)),
        host,
      ).toHaveLength(1);
    // Without the flag, the recorded keys are now known: the same inventory passes.
    const again = await runMigrate(["inventory", derived.planFile], { env, deadlineMs: 120_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(knownHosts, "utf8").trim().split("\n")).toEqual(lines);
  });

  it("--output github: inventory annotates an unreachable host, apply a failed workload", async () => {
    const unreachable = derivePlan({
      workloads: ["portal"],
      name: "github-inventory",
      edit: (plan) => {
        allHosts(plan).find((h) => h.name === "tgt-1")!.port = 1;
      },
    });
    const inventory = await runMigrate(["inventory", unreachable.planFile, "--output", "github"], {
      deadlineMs: 120_000,
    });
    expect(inventory.code, inventory.stderr).toBe(4);
    expect(inventory.stdout).toMatch(/^::error [^\n]*::[^\n]*tgt-1/m);

    await resetSystems();
    await hostExec("tgt-1", "systemctl start nginx");
    const failing = derivePlan({
      workloads: ["portal"],
      name: "github-apply",
      edit: (plan) => {
        workloadOf(plan, "portal").verify = [{ command: { host: "tgt-1", run: "test -f /srv/never-there" } }];
      },
    });
    const apply = await runMigrate(
      ["apply", failing.planFile, "--yes", "--state-dir", failing.stateDir, "--output", "github"],
      { deadlineMs: 200_000 },
    );
    expect(apply.code, apply.stderr).toBe(3);
    expect(apply.stdout).toMatch(/^::error title=migrate%3A portal::verify failed: [^\n]*never-there/m);
  });

  it("an unset passwordEnv stops apply with exit 4 before any step", async () => {
    const derived = derivePlan({
      workloads: ["tax-collection"],
      name: "password-unset",
      edit: (plan) => {
        const tax = workloadOf(plan, "tax-collection");
        tax.databases = tax.databases!.map((db) => ({ ...db, passwordEnv: "MIGRATE_E2E_UNSET_PASSWORD" }));
      },
    });
    const run = await runMigrate(applyArgs(derived.planFile, derived.stateDir), { deadlineMs: 120_000 });
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toContain("MIGRATE_E2E_UNSET_PASSWORD");
    const records = readJournalFile(derived.stateDir, derived.planName).records;
    expect(ofType(records, "step-start")).toEqual([]);
  });
});
