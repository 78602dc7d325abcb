/**
 * Issue 12's preflight before apply, on the fleet's tax database (PostgreSQL):
 *  - `plan` asks the hosts (read-only) and shows per database the mode apply would choose with
 *    the findings: wal_level = replica → "replicate is not possible", moved by dump, and a
 *    `migrate prepare` suggestion; a table without a key named with its fix; `--offline` says
 *    the preflight did not run; `inventory --out` records the facts and `plan --offline
 *    --inventory` shows them;
 *  - `migrate prepare` sets wal_level durably and says a restart is needed; `--restart` restarts
 *    PostgreSQL (refused outside the window, exit 6, before anything changes), after which
 *    `plan` says replicate; each change is journaled; a second run has nothing to set;
 *  - the projected catch-up under the write load: an estimate from the source's write rate
 *    before any replication, then measured on the replication `apply --stop-before cutover`
 *    left: stalled (its tunnel closed with that apply), its backlog growing, with an upper bound.
 * The fleet's tax-src is restarted with wal_level = replica for this file and restored after.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startPgLoad, TAX_DB } from "../../fixtures/fleet/index.ts";
import type { PlannedDatabase } from "../../src/engine/planning/plan-databases.ts";
import type { RunPlan } from "../../src/engine/planning/planner.ts";
import { runCli } from "./apply-support.ts";
import { apply, journal, preparePlan, resetFleet, sh } from "./support/pipeline.ts";
import { replicateTax } from "./support/replication.ts";

const skipReason = inject("e2eSkipReason");
const WORKLOAD = "tax-collection";
const psql = (sql: string, db = TAX_DB) => `runuser -u postgres -- psql -X -q -At -d ${db} -c "${sql}"`;

async function walLevel(): Promise<string> {
  return (await sh("tax-src", psql("show wal_level"))).stdout.trim();
}

async function restartWith(setting: string): Promise<void> {
  const set = await sh("tax-src", `${psql(setting, "postgres")} && systemctl restart postgresql`);
  expect(set.code, set.stderr).toBe(0);
}

/** `migrate prepare` of the tax workload, always with --yes (no terminal here). */
function prepare(planFile: string, stateDir: string, ...extra: string[]) {
  return runCli(["prepare", planFile, "--only", WORKLOAD, "--yes", "--state-dir", stateDir, ...extra]);
}

/** `plan --json`'s planned tax database. */
async function plannedTax(
  planFile: string,
  stateDir: string,
  extra: string[] = [],
): Promise<PlannedDatabase> {
  const result = await runCli(["plan", planFile, "--json", "--state-dir", stateDir, ...extra]);
  expect(result.exitCode, result.stderr).toBe(0);
  const plan = JSON.parse(result.stdout) as RunPlan;
  const tax = plan.waves.flatMap((w) => w.workloads).find((w) => w.name === WORKLOAD);
  return tax!.databases![0]!;
}

describe.skipIf(skipReason !== "")("replication preflight at plan, and migrate prepare", () => {
  let planFile: string;
  let stateDir: string;

  beforeAll(async () => {
    await resetFleet();
    await restartWith("alter system set wal_level = replica");
    ({ planFile, stateDir } = preparePlan());
  }, 120_000);

  afterAll(async () => {
    await restartWith("alter system reset wal_level");
    await resetFleet();
  }, 120_000);

  it("plan says replicate is not possible with wal_level = replica, and suggests prepare", async () => {
    expect(await walLevel()).toBe("replica");
    const tax = await plannedTax(planFile, stateDir);
    expect(tax).toMatchObject({
      mode: "dump",
      prepare: ["wal-level"],
      preflight: { status: "blocks", from: "hosts" },
      findings: [{ code: "wal-level", severity: "block" }],
    });
    expect(tax.reason).toContain("replicate is not possible");
    const text = await runCli(["plan", planFile, "--state-dir", stateDir]);
    expect(text.stdout).toContain("wal_level = replica");
    expect(text.stdout).toContain(`migrate prepare ${planFile} --only ${WORKLOAD}`);
  });

  it("plan marks an explicit replicate as refused, which apply refuses with exit 6 before any step", async () => {
    const explicit = preparePlan(replicateTax);
    const tax = await plannedTax(explicit.planFile, explicit.stateDir);
    expect(tax).toMatchObject({ mode: "replicate", refused: true });
    const result = await apply(explicit.planFile, explicit.stateDir, ["--only", WORKLOAD]);
    expect(result.exitCode, String(result.stderr)).toBe(6);
    expect(journal(explicit.stateDir).some((r) => r.type === "step-start")).toBe(false);
  });

  it("plan --offline does not ask the hosts and says the preflight was not run", async () => {
    const tax = await plannedTax(planFile, stateDir, ["--offline"]);
    expect(tax.preflight).toEqual({ status: "not-run", notRun: "--offline: no host was asked" });
    expect(tax.mode).toBe("replicate");
  });

  it("inventory records the preflight, and plan --offline --inventory shows it", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "inventory-")), "inventory.json");
    const inventory = await runCli(["inventory", planFile, "--out", out]);
    expect(inventory.exitCode, inventory.stderr).toBe(0);
    expect(inventory.stdout).toContain(`${WORKLOAD}/${TAX_DB} (postgresql): cannot replicate (wal-level)`);
    const tax = await plannedTax(planFile, stateDir, ["--offline", "--inventory", out]);
    expect(tax).toMatchObject({ mode: "dump", preflight: { status: "blocks", from: "inventory" } });
  });

  it("refuses prepare --restart outside the workload's window before anything changes (exit 6)", async () => {
    const closed = preparePlan((plan) => {
      const tax = plan.workloads?.find((w) => w.name === WORKLOAD);
      if (tax) tax.window = { start: "2020-01-01T22:00+08:00", end: "2020-01-02T02:00+08:00" };
    });
    const result = await prepare(closed.planFile, closed.stateDir, "--restart");
    expect(result.exitCode, result.stderr).toBe(6);
    expect(result.stderr).toContain("has closed");
    expect(await walLevel()).toBe("replica");
  });

  it("prepare sets wal_level durably and says it needs a restart, which it does not do unasked", async () => {
    const result = await prepare(planFile, stateDir);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr + result.stdout).toContain("takes effect only after a RESTART");
    expect(await walLevel()).toBe("replica");
    const pending = await sh(
      "tax-src",
      psql("select pending_restart from pg_settings where name = 'wal_level'"),
    );
    expect(pending.stdout.trim()).toBe("t");
    expect((await plannedTax(planFile, stateDir)).mode).toBe("dump");
  });

  it("prepare --restart restarts PostgreSQL, journals the change, and plan then says replicate", async () => {
    const result = await prepare(planFile, stateDir, "--restart");
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await walLevel()).toBe("logical");
    const prepares = journal(stateDir).filter((r) => r.type === "prepare");
    expect(prepares).toMatchObject([
      { workload: WORKLOAD, host: "tax-src", settings: { wal_level: "logical" }, restarted: false },
      { workload: WORKLOAD, host: "tax-src", settings: { wal_level: "logical" }, restarted: true },
    ]);
    const tax = await plannedTax(planFile, stateDir);
    expect(tax).toMatchObject({ mode: "replicate", preflight: { status: "passed" } });
    const again = await prepare(planFile, stateDir, "--restart");
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr + again.stdout).toContain("nothing to set");
    expect(journal(stateDir).filter((r) => r.type === "prepare")).toHaveLength(2);
  });

  it("plan names a table without a key and the fix", async () => {
    const created = await sh("tax-src", psql("create table audit_log (at timestamptz, note text)"));
    expect(created.code, created.stderr).toBe(0);
    try {
      const tax = await plannedTax(planFile, stateDir);
      expect(tax.mode).toBe("dump");
      const finding = tax.findings.find((f) => f.code === "no-primary-key");
      expect(finding?.tables).toEqual(["public.audit_log"]);
      expect(finding?.hint).toContain("REPLICA IDENTITY FULL");
      expect(tax.prepare).toBeUndefined();
    } finally {
      await sh("tax-src", psql("drop table audit_log"));
    }
  });
});

describe.skipIf(skipReason !== "")("projected catch-up in plan, under the write load", () => {
  let estimate: PlannedDatabase;
  let measured: PlannedDatabase;
  let stopped: { exitCode: number | undefined; stderr: string };

  beforeAll(async () => {
    await resetFleet();
    const writer = await startPgLoad("tax-src", TAX_DB);
    try {
      const { planFile, stateDir } = preparePlan();
      estimate = await plannedTax(planFile, stateDir);
      const result = await apply(planFile, stateDir, ["--only", WORKLOAD, "--stop-before", "cutover"]);
      stopped = { exitCode: result.exitCode, stderr: String(result.stderr) };
      measured = await plannedTax(planFile, stateDir);
    } finally {
      await writer.stop();
    }
  }, 300_000);

  afterAll(async () => {
    await resetFleet();
  }, 120_000);

  it("estimates from the source's write rate before any replication runs, labelled as such", () => {
    expect(estimate.mode).toBe("replicate");
    expect(estimate.catchUp).toMatchObject({ basis: "estimate" });
    expect(estimate.catchUp?.writeBytesPerSecond).toBeGreaterThan(0);
  });

  it("measures the replication left by apply --stop-before cutover: stalled, its backlog growing", () => {
    expect(stopped.exitCode, stopped.stderr).toBe(0);
    // Its tunnel closed with the apply that stopped: the target applies nothing until the cutover
    // resumes it, so plan shows the backlog and an upper bound for applying it.
    expect(measured.catchUp).toMatchObject({ basis: "measured", stalled: true });
    expect(measured.catchUp?.lagBytes).toBeGreaterThan(0);
    expect(measured.catchUp?.writeBytesPerSecond).toBeGreaterThan(0);
    expect(measured.catchUp?.seconds).toBeGreaterThan(0);
  });
});
