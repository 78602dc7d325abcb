/**
 * Issue 12, rollback after a replicated cutover of the fleet's tax database (PostgreSQL):
 *  - the switch leaves a reverse slot on the target; writes the target takes after it (the load
 *    generator, through psql) are carried back to the source by `migrate rollback`, with the
 *    sequences, and nothing of either replication is left on either cluster;
 *  - a SIGKILL while the source applies the target's writes, then the same rollback again:
 *    it finishes, the rows are the same on both sides, nothing is left;
 *  - where the target keeps no reverse position (wal_level = replica there) and took writes,
 *    rollback is refused with exit 8 naming the table and the row delta, before anything
 *    changes; `--discard-target-writes` then rolls back and leaves them on the target;
 *  - `migrate finalize` drops a reverse slot that no rollback used.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { pgReplicationLeftovers, pgTableChecksums, startPgLoad, TAX_DB } from "../../fixtures/fleet/index.ts";
import { runCli, startCli } from "./apply-support.ts";
import { apply, journal, type PlanEdit, preparePlan, resetFleet, sh } from "./support/pipeline.ts";
import { replicateTax, restartPostgres, reverseObjects } from "./support/replication.ts";

const skipReason = inject("e2eSkipReason");
const psql = (sql: string) => `runuser -u postgres -- psql -X -q -At -d ${TAX_DB} -c "${sql}"`;
const SEQUENCE = psql("select last_value from load_ticket_seq");

/** The tax workload applied with a replicated database (the load creates its table first). */
async function appliedTax(
  edit: PlanEdit = replicateTax,
): Promise<{ planFile: string; stateDir: string; stdout: string }> {
  await resetFleet();
  const writer = await startPgLoad("tax-src", TAX_DB);
  const prepared = preparePlan(edit);
  const result = await apply(prepared.planFile, prepared.stateDir, ["--only", "tax-collection"]);
  await writer.stop();
  expect(result.exitCode, String(result.stderr)).toBe(0);
  return { ...prepared, stdout: String(result.stdout) };
}

/** The application keeps writing on the target for a while after the switch. */
async function writeOnTarget(ms: number): Promise<void> {
  const writer = await startPgLoad("tgt-2", TAX_DB);
  await new Promise((resolve) => setTimeout(resolve, ms));
  const load = await writer.stop();
  expect(load.committed).toBeGreaterThan(5);
}

async function rollback(planFile: string, stateDir: string, extra: string[] = []) {
  return runCli(["rollback", planFile, "tax-collection", "--yes", "--state-dir", stateDir, ...extra]);
}

describe.skipIf(skipReason !== "")("replication rollback: the target's writes carried back", () => {
  let planFile: string;
  let stateDir: string;

  beforeAll(async () => {
    ({ planFile, stateDir } = await appliedTax());
  }, 300_000);
  afterAll(async () => {
    await resetFleet();
  });

  it("keeps a reverse slot on the target from the switch on, and nothing on the source", async () => {
    expect(await pgReplicationLeftovers("tax-src")).toEqual([]);
    const target = await pgReplicationLeftovers("tgt-2");
    expect(reverseObjects(target)).toEqual(target);
    expect(target.some((line) => line.startsWith("slot migrate_sub_r"))).toBe(true);
  });

  it("rollback gives the source every write the target took, then leaves nothing behind", async () => {
    await writeOnTarget(2500);
    const [expected, sequence] = await Promise.all([
      pgTableChecksums("tgt-2", TAX_DB),
      sh("tgt-2", SEQUENCE),
    ]);
    const result = await rollback(planFile, stateDir);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/carried back to the source \(.*public\.load_events: [+-]\d+ rows/);
    expect(await pgTableChecksums("tax-src", TAX_DB)).toEqual(expected);
    expect((await sh("tax-src", SEQUENCE)).stdout).toBe(sequence.stdout);
    expect(await pgReplicationLeftovers("tax-src")).toEqual([]);
    expect(await pgReplicationLeftovers("tgt-2")).toEqual([]);
    const writable = await sh(
      "tax-src",
      psql("insert into load_events (ticket, payload) values (-2, 'back')"),
    );
    expect(writable.code, writable.stderr).toBe(0);
  });
});

/** A budget small enough that the seed (some 13 MB, ~5 s without one) and the reverse catch-up
 *  take longer than they would without it. */
const BUDGET = 1024 * 1024;
const budgeted: PlanEdit = (plan) => {
  replicateTax(plan);
  plan.defaults = { ...plan.defaults, bandwidth: "1MiB/s" };
};

describe.skipIf(skipReason !== "")(
  "replication under the bandwidth budget; SIGKILL while the source catches up",
  () => {
    let planFile: string;
    let stateDir: string;
    let stdout: string;
    let leftAfterKill: string[];

    beforeAll(async () => {
      ({ planFile, stateDir, stdout } = await appliedTax(budgeted));
      // Some 12 MB for the source to take back through the metered tunnel: seconds at the budget.
      const bulk = await sh(
        "tgt-2",
        psql(
          "insert into load_events (ticket, payload) select nextval('load_ticket_seq'), repeat(md5(g::text), 8) from generate_series(1, 40000) g",
        ),
      );
      expect(bulk.code, bulk.stderr).toBe(0);
      const first = startCli(["rollback", planFile, "tax-collection", "--yes", "--state-dir", stateDir]);
      let ended = false;
      void first.finally(() => {
        ended = true;
      });
      let following = false;
      while (!following && !ended) {
        const subs = await sh("tax-src", psql("select count(*) from pg_subscription"));
        following = subs.stdout.trim() === "1";
      }
      first.kill("SIGKILL");
      await first;
      leftAfterKill = await pgReplicationLeftovers("tax-src");
    }, 300_000);
    afterAll(async () => {
      await resetFleet();
    });

    it("seeds through the tunnel within the budget, with the seed's bytes in progress", () => {
      const events = stdout
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as { type: string; step?: string; bytesDone?: number; at?: string });
      const seed = events.filter((e) => e.type === "step-progress" && e.step === "reconfigure");
      const last = seed.at(-1);
      const start = journal(stateDir).find(
        (r) => r.type === "step-start" && r.key === "tax-collection/reconfigure",
      );
      expect(last?.bytesDone).toBeGreaterThan(8 * BUDGET);
      const seconds =
        (Date.parse(String(last?.at)) - Date.parse(String((start as { at: string }).at))) / 1000;
      // The bucket may lend one second's worth at the start.
      expect((last?.bytesDone ?? 0) / seconds).toBeLessThan(BUDGET * 1.15);
    });

    it("was killed while the source followed the target", () => {
      expect(leftAfterKill.some((line) => line.startsWith("subscription migrate_sub_r"))).toBe(true);
    });

    it("the same rollback resumes, carries everything back and leaves nothing", async () => {
      const expected = await pgTableChecksums("tgt-2", TAX_DB);
      const result = await rollback(planFile, stateDir);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(await pgTableChecksums("tax-src", TAX_DB)).toEqual(expected);
      expect(await pgReplicationLeftovers("tax-src")).toEqual([]);
      expect(await pgReplicationLeftovers("tgt-2")).toEqual([]);
    });
  },
);

describe.skipIf(skipReason !== "")(
  "replication rollback: refused where nothing can carry writes back",
  () => {
    let planFile: string;
    let stateDir: string;

    beforeAll(async () => {
      await resetFleet();
      await restartPostgres("tgt-2", "alter system set wal_level = replica");
      ({ planFile, stateDir } = await appliedTax());
    }, 300_000);
    afterAll(async () => {
      await restartPostgres("tgt-2", "alter system reset wal_level");
      await resetFleet();
    });

    it("refuses with exit 8, naming the table and the row delta, and changes nothing", async () => {
      const wrote = await sh("tgt-2", psql("insert into load_events (ticket, payload) values (-1, 'after')"));
      expect(wrote.code, wrote.stderr).toBe(0);
      const before = await pgTableChecksums("tax-src", TAX_DB);
      const result = await rollback(planFile, stateDir);
      expect(result.exitCode, result.stderr).toBe(8);
      const output = `${result.stdout}${result.stderr}`;
      expect(output).toMatch(/public\.load_events: \+1 rows/);
      expect(output).toContain("wal_level");
      expect(output).toContain("--discard-target-writes");
      expect(await pgTableChecksums("tax-src", TAX_DB)).toEqual(before);
      // Still frozen: the source was not put back in service.
      const refused = await sh("tax-src", psql("insert into load_events (ticket, payload) values (-2, 'x')"));
      expect(refused.code).not.toBe(0);
    });

    it("rolls back with --discard-target-writes and says the writes stay on the target", async () => {
      const result = await rollback(planFile, stateDir, ["--discard-target-writes"]);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/NOT copied back.*public\.load_events/);
      const writable = await sh(
        "tax-src",
        psql("insert into load_events (ticket, payload) values (-2, 'x')"),
      );
      expect(writable.code, writable.stderr).toBe(0);
      expect(await pgReplicationLeftovers("tgt-2")).toEqual([]);
    });
  },
);

describe.skipIf(skipReason !== "")("replication: finalize drops the reverse slot", () => {
  it("leaves no replication object on either cluster after finalize", async () => {
    const { planFile, stateDir } = await appliedTax();
    expect(reverseObjects(await pgReplicationLeftovers("tgt-2")).length).toBeGreaterThan(0);
    const only = ["--only", "tax-collection", "--yes", "--state-dir", stateDir];
    const result = await runCli(["finalize", planFile, ...only]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await pgReplicationLeftovers("tgt-2")).toEqual([]);
    expect(await pgReplicationLeftovers("tax-src")).toEqual([]);
    await resetFleet();
  }, 300_000);
});
