/**
 * Issue 12 on the fleet's tax system: the tax database moves by PostgreSQL logical replication
 * (databases[].mode: replicate) while a load generator keeps inserting, updating and deleting
 * and drawing from a sequence during the whole apply. After the cutover both sides hold the same
 * rows (count and checksum per table, the sequence as far as the source got), the downtime is
 * journaled, and nothing of the replication is left on either cluster.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { pgReplicationLeftovers, startPgLoad, TAX_DB } from "../../fixtures/fleet/index.ts";
import { runCli } from "./apply-support.ts";
import { applyUnderLoad, finished, journal, resetFleet, sh } from "./support/pipeline.ts";
import { expectTaxTablesEqual, replicateTax, reverseObjects } from "./support/replication.ts";

const skipReason = inject("e2eSkipReason");

describe.skipIf(skipReason !== "")("replication: PostgreSQL under a write load", () => {
  let stateDir: string;
  let planFile: string;
  let exitCode: number | undefined;
  let stderr: string;
  let load: { committed: number; refused: number };

  beforeAll(async () => {
    await resetFleet();
    const writer = await startPgLoad("tax-src", TAX_DB);
    ({ stateDir, planFile, exitCode, stderr, load } = await applyUnderLoad(
      writer,
      replicateTax,
      "tax-collection",
    ));
  }, 300_000);

  afterAll(async () => {
    await resetFleet();
  });

  it("migrates the workload while the load keeps writing, and the freeze stops the writes", () => {
    expect(exitCode, stderr).toBe(0);
    expect(load.committed).toBeGreaterThan(50);
    // The freeze made the source read-only: the load's writes from then on were refused.
    expect(load.refused).toBeGreaterThan(0);
    const end = journal(stateDir).find((r) => r.type === "workload-end");
    expect(end).toMatchObject({ workload: "tax-collection", status: "succeeded" });
  });

  it("caught the target up instead of dumping, and journaled the lag and the downtime", () => {
    const records = journal(stateDir);
    const snapshot = finished(records, "tax-collection/snapshot");
    expect(snapshot?.databases).toMatchObject([{ name: TAX_DB, mode: "replicate", dumpFile: "" }]);
    const cutover = finished(records, "tax-collection/cutover");
    const [db] = (cutover?.databases ?? []) as { mode: string; dumpBytes: number; catchUpMs: number }[];
    expect(db).toMatchObject({ mode: "replicate", dumpBytes: 0 });
    expect(db?.catchUpMs).toBeGreaterThanOrEqual(0);
    const end = records.find((r) => r.type === "workload-end") as { downtimeMs?: number } | undefined;
    expect(end?.downtimeMs).toBeGreaterThan(0);
  });

  it("shows in status that the database was replicated and how fast the target caught up", async () => {
    const status = await runCli(["status", planFile, "--state-dir", stateDir]);
    expect(status.stdout).toMatch(/tax_collection: replicated; the target caught up in \d+\.\d s/);
  });

  it("leaves the same rows on both sides: count and checksum of every table", async () => {
    await expectTaxTablesEqual();
  });

  it("sets the target's sequences to the source's values", async () => {
    const query = `runuser -u postgres -- psql -X -At -d ${TAX_DB} -c "select last_value from load_ticket_seq"`;
    const [source, target] = await Promise.all([sh("tax-src", query), sh("tgt-2", query)]);
    expect(Number(source.stdout)).toBeGreaterThan(2000);
    expect(target.stdout).toBe(source.stdout);
  });

  it("leaves no slot, publication, subscription or replication user but the reverse ones for a rollback", async () => {
    expect(await pgReplicationLeftovers("tax-src")).toEqual([]);
    const target = await pgReplicationLeftovers("tgt-2");
    expect(target).toEqual(reverseObjects(target));
  });
});
