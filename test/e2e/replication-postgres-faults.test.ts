/**
 * Issue 12's refusals and clean-ups on the fleet's tax database (PostgreSQL):
 *  - preflight: a table without a key, and wal_level = replica, refuse an explicit
 *    `mode: replicate` (exit code 6) before anything changes; on the default mode the same
 *    finding moves the database by dump, with the reason journaled;
 *  - a SIGKILL while the target streams changes, then the same apply resumed: it finishes, and
 *    no slot, publication, subscription or replication user is left;
 *  - `migrate rollback` after a replicated cutover puts the source back in service (writable)
 *    with the writes the target took since the switch carried back.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { pgReplicationLeftovers, pgTableChecksums, startPgLoad, TAX_DB } from "../../fixtures/fleet/index.ts";
import { journalOf, runCli, startCli, until } from "./apply-support.ts";
import { apply, finished, journal, preparePlan, resetFleet, sh } from "./support/pipeline.ts";
import { replicateTax, restartPostgres, reverseObjects } from "./support/replication.ts";

const skipReason = inject("e2eSkipReason");
const psql = (sql: string) => `runuser -u postgres -- psql -X -q -At -d ${TAX_DB} -c "${sql}"`;

/** Apply with the tax database on an explicit replicate: refused with exit 6, nothing started. */
async function refusedApply(): Promise<string> {
  const { planFile, stateDir } = preparePlan(replicateTax);
  const result = await apply(planFile, stateDir, ["--only", "tax-collection"]);
  expect(result.exitCode, String(result.stderr)).toBe(6);
  expect(journal(stateDir).some((r) => r.type === "step-start")).toBe(false);
  return String(result.stderr);
}

describe.skipIf(skipReason !== "")("replication: preflight refusals", () => {
  beforeAll(async () => {
    await resetFleet();
  });
  afterAll(async () => {
    await restartPostgres("tax-src", "alter system reset wal_level");
    await resetFleet();
  });

  it("refuses a table without a primary key, naming it and the fix, before anything changes", async () => {
    const created = await sh("tax-src", psql("create table audit_log (at timestamptz, note text)"));
    expect(created.code, created.stderr).toBe(0);
    const stderr = await refusedApply();
    expect(stderr).toContain("public.audit_log");
    expect(stderr).toContain("REPLICA IDENTITY FULL");
    expect(await pgReplicationLeftovers("tax-src")).toEqual([]);
    await sh("tax-src", psql("drop table audit_log"));
  });

  it("refuses wal_level = replica and says it needs a restart", async () => {
    await restartPostgres("tax-src", "alter system set wal_level = replica");
    const stderr = await refusedApply();
    expect(stderr).toContain("wal_level = replica");
    expect(stderr).toContain("restart");
  });

  it("moves the database by dump on the default mode, with the reason journaled", async () => {
    const { planFile, stateDir } = preparePlan();
    const result = await apply(planFile, stateDir, ["--only", "tax-collection"]);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const snapshot = finished(journal(stateDir), "tax-collection/snapshot");
    expect(snapshot?.databases).toMatchObject([
      { name: TAX_DB, mode: "dump", modeReason: expect.stringContaining("wal-level") },
    ]);
    expect(await pgReplicationLeftovers("tax-src")).toEqual([]);
    expect(await pgReplicationLeftovers("tgt-2")).toEqual([]);
  });
});

describe.skipIf(skipReason !== "")("replication: SIGKILL while streaming, then resume", () => {
  let load: { committed: number; refused: number };
  let stateDir: string;
  let planFile: string;
  let leftAfterKill: string[];
  let resumed: { exitCode: number; stderr: string };

  beforeAll(async () => {
    await resetFleet();
    const writer = await startPgLoad("tax-src", TAX_DB);
    ({ planFile, stateDir } = preparePlan(replicateTax));
    const args = ["apply", planFile, "--yes", "--only", "tax-collection", "--state-dir", stateDir];
    const first = startCli([...args, "--output", "json"]);
    // Killed once the target streams: the subscription, its slot and the user all exist.
    await until(
      () =>
        journalOf(stateDir, "fleet-city-bureaus").some(
          (r) =>
            r.type === "step-checkpoint" &&
            r.key === "tax-collection/reconfigure" &&
            JSON.stringify(r).includes("seededAt"),
        ),
      "replication to stream",
    );
    first.kill("SIGKILL");
    await first;
    leftAfterKill = await pgReplicationLeftovers("tax-src");
    // The load keeps writing while nobody runs: the resumed run has lag to catch up.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    resumed = await runCli([...args, "--output", "plain"]);
    load = await writer.stop();
  }, 300_000);

  afterAll(async () => {
    await resetFleet();
  });

  it("was killed with the replication running", () => {
    expect(leftAfterKill.some((line) => line.startsWith("slot migrate_sub_"))).toBe(true);
    expect(leftAfterKill.some((line) => line.startsWith("user migrate_repl_"))).toBe(true);
  });

  it("resumes, catches up and finishes with the same rows on both sides", async () => {
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(load.committed).toBeGreaterThan(20);
    const [source, target] = await Promise.all([
      pgTableChecksums("tax-src", TAX_DB),
      pgTableChecksums("tgt-2", TAX_DB),
    ]);
    expect(target).toEqual(source);
  });

  it("leaves no replication object on either cluster but the target's reverse slot", async () => {
    expect(await pgReplicationLeftovers("tax-src")).toEqual([]);
    const target = await pgReplicationLeftovers("tgt-2");
    expect(target).toEqual(reverseObjects(target));
  });

  it("rollback puts the source back in service and carries back the writes the target took", async () => {
    const wrote = await sh(
      "tgt-2",
      psql("insert into load_events (ticket, payload) values (-1, 'after the switch')"),
    );
    expect(wrote.code, wrote.stderr).toBe(0);
    const rollback = await runCli(["rollback", planFile, "tax-collection", "--yes", "--state-dir", stateDir]);
    expect(rollback.exitCode, rollback.stderr).toBe(0);
    expect(rollback.stderr).toMatch(/carried back to the source \(public\.load_events: \+1 rows/);
    const writable = await sh(
      "tax-src",
      psql("insert into load_events (ticket, payload) values (-2, 'back on the source')"),
    );
    expect(writable.code, writable.stderr).toBe(0);
    expect(await pgReplicationLeftovers("tax-src")).toEqual([]);
    expect(await pgReplicationLeftovers("tgt-2")).toEqual([]);
  });
});
