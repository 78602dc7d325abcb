/**
 * Issue 12 for MariaDB through the whole apply: the licensing database asks for
 * `mode: replicate`, so the snapshot seeds the target from a consistent dump at its binlog
 * coordinates, a named replica connection follows the source through the orchestrator's SSH
 * tunnel while the application's own account keeps writing, and the cutover freezes the source
 * (read_only), waits for the target to apply everything, compares and switches. Afterwards both
 * servers hold the same rows and checksums, and no replica connection or replication account is
 * left on either server. A rollback while the target holds writes is refused (no reverse binlog
 * replication yet) before anything changes, and rolls back with --discard-target-writes.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startMariadbLoad } from "../../fixtures/fleet/index.ts";
import { LICENSING_DB } from "../../fixtures/fleet/licensing-db.ts";
import { runCli } from "./apply-support.ts";
import { contents, leftovers, query, SOURCE, TARGET } from "./support/mariadb-replication.ts";
import { applyUnderLoad, finished, journal, type PlanEdit, resetFleet } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");

const replicateLicensing: PlanEdit = (plan) => {
  const licensing = plan.workloads?.find((w) => w.name === "licensing");
  if (!licensing) return;
  licensing.databases = [{ engine: "mariadb", name: LICENSING_DB, mode: "replicate" }];
  // Moved alone: its dependency on the tax system is not this test's subject.
  delete licensing.dependsOn;
};

describe.skipIf(skipReason !== "")("replication: MariaDB under a write load, through apply", () => {
  let stateDir: string;
  let planFile: string;
  let exitCode: number | undefined;
  let stderr: string;
  let load: { rounds: number };

  beforeAll(async () => {
    await resetFleet();
    const writer = await startMariadbLoad(SOURCE, LICENSING_DB);
    ({ stateDir, planFile, exitCode, stderr, load } = await applyUnderLoad(
      writer,
      replicateLicensing,
      "licensing",
    ));
  }, 300_000);

  afterAll(async () => {
    await resetFleet();
  });

  it("migrates the workload while the application keeps writing until the freeze", () => {
    expect(exitCode, stderr).toBe(0);
    expect(load.rounds).toBeGreaterThan(50);
    const end = journal(stateDir).find((r) => r.type === "workload-end");
    expect(end).toMatchObject({ workload: "licensing", status: "succeeded" });
  });

  it("replicated instead of dumping: the snapshot seeded, the cutover caught up", () => {
    const records = journal(stateDir);
    const snapshot = finished(records, "licensing/snapshot");
    expect(snapshot?.databases).toMatchObject([{ name: LICENSING_DB, mode: "replicate" }]);
    const cutover = finished(records, "licensing/cutover");
    const [db] = (cutover?.databases ?? []) as { mode: string; dumpBytes: number }[];
    expect(db).toMatchObject({ mode: "replicate", dumpBytes: 0 });
  });

  it("leaves the same rows and checksums in every table on both servers", async () => {
    const [source, target] = await Promise.all([
      contents(SOURCE, LICENSING_DB),
      contents(TARGET, LICENSING_DB),
    ]);
    expect(Object.keys(source).length).toBeGreaterThan(1);
    expect(target).toEqual(source);
  });

  it("leaves no replica connection and no replication account on either server", async () => {
    expect(await leftovers()).toEqual({ connections: [], accounts: [] });
  });

  it("refuses a rollback that would leave the target's writes behind, then discards them when told", async () => {
    await query(
      TARGET,
      "INSERT INTO `audit log` (license_id, note) VALUES ('XK-AFTER', 'after the switch')",
      LICENSING_DB,
    );
    const args = ["rollback", planFile, "licensing", "--yes", "--state-dir", stateDir];
    const refused = await runCli(args);
    expect(refused.exitCode, refused.stderr).toBe(8);
    const output = `${refused.stdout}${refused.stderr}`;
    expect(output).toMatch(/reverse replication is not offered for mariadb\): \S*audit log\S*: \+1 rows/);
    expect(output).toContain("--discard-target-writes");
    const rolled = await runCli([...args, "--discard-target-writes"]);
    expect(rolled.exitCode, rolled.stderr).toBe(0);
    expect(rolled.stderr).toMatch(/NOT copied back/);
  });
});
