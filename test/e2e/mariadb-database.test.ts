/**
 * A MariaDB database through `migrate apply`: the licensing workload carries the licensing
 * database from lic-src's mariadbd to tgt-3's (mysqldump --single-transaction, restore with the
 * mysql client, credentials from root's ~/.my.cnf on each host). Row counts are compared in the
 * journal and on the servers themselves, and the content is checksummed table by table.
 */

import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { hostExec, readFleet } from "../../fixtures/fleet/index.ts";
import type { Check } from "../../src/plan/schema.ts";
import { workloadOf } from "../support/reliability/derived-plan.ts";
import { applyDerived, type DerivedRun, outputsOf, printed } from "./support/derived-apply.ts";
import { resetFleet } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");

/** A query through the mysql client as migrate runs it (root's ~/.my.cnf), as tab-separated rows. */
async function query(host: string, database: string, sql: string): Promise<string[][]> {
  const result = await hostExec(host, `mysql -N -B ${database}`, { input: sql, timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`mysql on ${host} failed: ${result.stderr}`);
  return result.stdout
    .trim()
    .split("\n")
    .map((line) => line.split("\t"));
}

const quoted = (table: string) => `\`${table.replaceAll("`", "``")}\``;

async function rowCounts(host: string, database: string, tables: string[]): Promise<Record<string, number>> {
  const sql = tables.map((t) => `SELECT '${t}', COUNT(*) FROM ${quoted(t)};`).join("\n");
  return Object.fromEntries((await query(host, database, sql)).map(([t, n]) => [t, Number(n)]));
}

interface DbOutputs {
  name: string;
  rowCounts: Record<string, number>;
}

describe.skipIf(skipReason !== "")("MariaDB database through migrate apply", () => {
  let database: string;
  let source: string;
  let seeded: Record<string, number>;
  let tables: string[];
  let run: DerivedRun;

  beforeAll(async () => {
    ({ name: database, host: source, tables: seeded } = readFleet().mariadb.database);
    tables = Object.keys(seeded);
    await resetFleet();
    run = await applyDerived({
      workloads: ["licensing"],
      name: "mariadb-database",
      edit: (plan) => {
        const licensing = workloadOf(plan, "licensing");
        licensing.databases = [{ engine: "mariadb", name: database }];
        // The plan's rowCount check takes plain table names only (a plan rule); `audit log` is
        // counted by the steps themselves, which read every table from information_schema.
        const plain = tables.filter((table) => /^\w+$/.test(table));
        licensing.verify = [
          ...((licensing.verify as Check[] | undefined) ?? []),
          { rowCount: { database, tables: plain } },
        ];
      },
    });
  });
  afterAll(resetFleet);

  it("finishes the workload, the rowCount check included", () => {
    expect(run.exit.code, printed(run)).toBe(0);
    const checks = outputsOf(run.records, "licensing/verify")?.checks as { name: string; ok: boolean }[];
    expect(checks).toContainEqual(expect.objectContaining({ name: `rowCount ${database}`, ok: true }));
  });

  it("journals the seeded row counts at snapshot, restore and cutover", () => {
    const snapshot = outputsOf(run.records, "licensing/snapshot")?.databases as DbOutputs[];
    expect(snapshot).toEqual([
      expect.objectContaining({ engine: "mariadb", name: database, rowCounts: seeded }),
    ]);
    const restored = outputsOf(run.records, "licensing/reconfigure")?.databases as DbOutputs[];
    expect(restored).toEqual([
      expect.objectContaining({ name: database, rowCounts: seeded, differences: [] }),
    ]);
    const cutover = outputsOf(run.records, "licensing/cutover")?.databases as DbOutputs[];
    expect(cutover).toEqual([expect.objectContaining({ name: database, rowCounts: seeded })]);
  });

  it("holds the same rows per table on the target as on the source", async () => {
    expect(await rowCounts(source, database, tables)).toEqual(seeded);
    expect(await rowCounts("tgt-3", database, tables)).toEqual(seeded);
  });

  it("carries every table's content unchanged, Chinese text in utf8mb4 included", async () => {
    const checksum = `CHECKSUM TABLE ${tables.map(quoted).join(", ")} EXTENDED;`;
    const [before, after] = await Promise.all([
      query(source, database, checksum),
      query("tgt-3", database, checksum),
    ]);
    expect(after).toEqual(before);
    expect(after.every(([, sum]) => sum !== "NULL")).toBe(true);
    const sample =
      "SELECT name, HEX(name) FROM holders WHERE id = 7; SELECT note FROM `audit log` WHERE id = 1500;";
    const target = await query("tgt-3", database, sample);
    expect(target).toEqual(await query(source, database, sample));
    expect(target[0]?.[0]).toBe("郑州市第7商贸有限公司");
    expect(target[1]?.[0]).toBe("年检合格 ✓ 第1500次");
    const charset = await query(
      "tgt-3",
      database,
      "SELECT DISTINCT character_set_name FROM information_schema.columns WHERE table_schema = DATABASE() AND character_set_name IS NOT NULL;",
    );
    expect(charset).toEqual([["utf8mb4"]]);
  });
});
