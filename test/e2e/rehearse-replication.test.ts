/**
 * A rehearsal of a workload whose PostgreSQL database replicates (tax-collection), on the fleet:
 * while the rehearsal's services run, the target's database refuses client writes (it is a live
 * subscriber) and still takes the source's changes; a sync after it keeps the same replication
 * (no second seed, one slot) and status shows it; the cutover brings the source's later writes
 * and both sides' tables hash alike; finalize drops what an interrupted teardown left, and says
 * so when nothing was left.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { JournalRecord } from "../../src/engine/journal/journal-record.ts";
import { finishesOf, ofType, runCli } from "./apply-support.ts";
import { journal, preparePlan, resetFleet, sh } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");
const WRITE_OUT = "/tmp/rehearsal-write.out";
// What an application started for the rehearsal might do: update a row the source has.
const WRITE_ATTEMPT = `echo "update districts set name = 'written on the target' where id = (select min(id) from districts)" | runuser -u postgres -- psql -X -d tax_collection -v ON_ERROR_STOP=1 > ${WRITE_OUT} 2>&1; true`;
const psql = (sql: string) => `runuser -u postgres -- psql -X -At -d tax_collection -c "${sql}"`;
const CHECKSUMS = `for t in $(${psql("select tablename from pg_tables where schemaname = 'public' order by 1")}); do echo "$t $(${psql("select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) from $t x")})"; done`;

function replicationOf(records: JournalRecord[]): Record<string, string> | undefined {
  return finishesOf(records, "tax-collection", "reconfigure").at(-1)?.outputs.replication?.tax_collection
    ?.objects;
}

async function checksums(host: string): Promise<string> {
  const out = await sh(host, CHECKSUMS);
  expect(out.code, out.stderr).toBe(0);
  return out.stdout;
}

describe.skipIf(skipReason !== "")("rehearsing a replicated database", { shuffle: false }, () => {
  let planFile: string;
  let stateDir: string;
  const cli = (command: string, extra: string[] = []) =>
    runCli([command, planFile, "--yes", "--state-dir", stateDir, "--only", "tax-collection", ...extra]);

  beforeAll(async () => {
    await resetFleet();
    ({ planFile, stateDir } = preparePlan((plan) => {
      const tax = plan.workloads?.find((workload) => workload.name === "tax-collection");
      const attempt = { command: { host: "tgt-2", run: WRITE_ATTEMPT } };
      if (tax) tax.verify = [...(Array.isArray(tax.verify) ? tax.verify : []), attempt];
    }));
  });

  afterAll(async () => {
    await resetFleet();
  });

  it("the rehearsal's writes to the subscriber are refused, the replication is left as it was", async () => {
    const ready = await cli("apply", ["--stop-before", "cutover"]);
    expect(ready.exitCode, ready.stderr.slice(-2000)).toBe(0);
    await sh("tgt-2", `rm -f ${WRITE_OUT}`);
    const result = await cli("rehearse");
    expect(result.exitCode, result.stderr.slice(-2000)).toBe(0);
    expect((await sh("tgt-2", `cat ${WRITE_OUT}`)).stdout).toContain(
      "cannot execute UPDATE in a read-only transaction",
    );
    // Writable again for everyone once the rehearsal's services stopped.
    const settings = await sh("tgt-2", psql("select count(*) from pg_db_role_setting"));
    expect(settings.stdout.trim()).toBe("0");
    expect((await sh("tgt-2", psql("select count(*) from pg_subscription"))).stdout.trim()).toBe("1");
  });

  it("a sync after the rehearsal keeps the same replication, and status shows it streaming", async () => {
    const before = replicationOf(journal(stateDir));
    expect(before?.subscription).toMatch(/^migrate_sub_/);
    await sh(
      "tax-src",
      psql(
        "update districts set name = 'renamed on the source' where id = (select max(id) from districts); insert into districts values (9901, 'HX1', 'added after the rehearsal')",
      ),
    );
    const synced = await cli("sync");
    expect(synced.exitCode, synced.stderr.slice(-2000)).toBe(0);
    expect(replicationOf(journal(stateDir))).toEqual(before);
    expect((await sh("tgt-2", psql("select subname from pg_subscription"))).stdout.trim()).toBe(
      before?.subscription,
    );
    const slots = await sh("tax-src", psql("select slot_name from pg_replication_slots"));
    expect(slots.stdout.trim()).toBe(before?.subscription);
    const status = await runCli(["status", planFile, "--state-dir", stateDir]);
    expect(status.stdout).toContain(`tax_collection: replicating to the target (until the cutover: `);
  });

  it("a second journal's rehearsal is refused before it touches the live subscriber", async () => {
    const other = preparePlan();
    const result = await runCli([
      "rehearse",
      other.planFile,
      "--yes",
      "--state-dir",
      other.stateDir,
      "--only",
      "tax-collection",
    ]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain("tax_collection on tgt-2 is a live subscriber of another migration");
    const users = await sh(
      "tax-src",
      psql("select count(*) from pg_roles where rolname like 'migrate_repl_%'"),
    );
    expect(users.stdout.trim()).toBe("1");
  });

  it("the cutover brings the source's later writes; every table hashes alike on both sides", async () => {
    const cut = await cli("apply", ["--stop-before", "verify"]);
    expect(cut.exitCode, cut.stderr.slice(-2000)).toBe(0);
    const rows = await sh(
      "tgt-2",
      psql("select name from districts where id = 9901 or name like '% on the %' order by name"),
    );
    expect(rows.stdout.trim().split("\n")).toEqual(["added after the rehearsal", "renamed on the source"]);
    const source = await checksums("tax-src");
    expect(source.split("\n").filter(Boolean).length).toBeGreaterThan(3);
    expect(await checksums("tgt-2")).toBe(source);
  });

  it("finalize of a cleanly cut-over workload drops no replication and says so", async () => {
    const verified = await cli("apply");
    expect(verified.exitCode, verified.stderr.slice(-2000)).toBe(0);
    const result = await cli("finalize");
    expect(result.exitCode, result.stderr.slice(-2000)).toBe(0);
    expect(ofType(journal(stateDir), "finalize")[0]?.replicationDropped).toEqual([]);
    expect(result.stdout + result.stderr).toContain(
      "no replication user, slot, publication or subscription of this migration is left",
    );
  });
});

describe.skipIf(skipReason !== "")("finalize after an interrupted teardown", { shuffle: false }, () => {
  afterAll(async () => {
    await resetFleet();
  });

  it("drops the slot and user an interrupted run left, and lists them", async () => {
    await resetFleet();
    const { planFile, stateDir } = preparePlan();
    const cli = (command: string) =>
      runCli([command, planFile, "--yes", "--state-dir", stateDir, "--only", "tax-collection"]);
    const applied = await cli("apply");
    expect(applied.exitCode, applied.stderr.slice(-2000)).toBe(0);
    const objects = replicationOf(journal(stateDir));
    const slot = objects?.subscription ?? "";
    const user = objects?.user ?? "";
    // What a run killed before its teardown leaves on the source: the slot and the user.
    // The source is read-only since the cutover's freeze.
    const writable = "PGOPTIONS='-c default_transaction_read_only=off'";
    for (const sql of [
      `select pg_create_logical_replication_slot('${slot}', 'pgoutput')`,
      `create role ${user} login replication`,
    ]) {
      const left = await sh("tax-src", `${writable} ${psql(sql)}`);
      expect(left.code, left.stderr).toBe(0);
    }
    const result = await cli("finalize");
    expect(result.exitCode, result.stderr.slice(-2000)).toBe(0);
    expect(ofType(journal(stateDir), "finalize")[0]?.replicationDropped.sort()).toEqual(
      [`tax_collection: slot ${slot}`, `tax_collection: user ${user}`].sort(),
    );
    const after = await sh(
      "tax-src",
      psql(
        `select count(*) from pg_replication_slots where slot_name = '${slot}'; select count(*) from pg_roles where rolname = '${user}'`,
      ),
    );
    expect(after.stdout.trim().split("\n")).toEqual(["0", "0"]);
  });
});
