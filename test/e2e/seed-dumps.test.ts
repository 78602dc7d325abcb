/**
 * Database dumps in seed bundles (issue 20, item 2), on the fleet's tax-collection workload
 * (PostgreSQL, SM3 digests): the export carries the database's dump as content-defined chunks;
 * one chunk is damaged "in transit"; after the export a row is added and one changed on the
 * source; the import puts the good chunks into tgt-2's chunk store and names the damaged one.
 * The apply then sends the snapshot's dump, and the dump taken under the freeze, as deltas: only
 * the chunks the target lacks cross the link (the damaged chunk's bytes among them), each dump
 * put together on the target and verified there before it is restored.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { TAX_DB, TAX_ROWS } from "../../fixtures/fleet/tax-db.ts";
import { runCli, statusWorkload } from "./apply-support.ts";
import { apply, finished, journal, preparePlan, resetFleet, sh } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");
const W = "tax-collection";
const psql = (sql: string) =>
  `runuser -u postgres -- psql -X -At -v ON_ERROR_STOP=1 -d ${TAX_DB} -c "${sql}"`;
const CHANGE = `${psql("insert into taxpayers select id + 1000000, 'X' || substr(tin, 2), name || ' (moved)', kind, district_id, address, registered_on from taxpayers where id = 1")} && ${psql("update taxpayers set address = 'changed after the export' where id = 10000")}`;

interface Index {
  hash: string;
  dumps?: { database: string; bytes: number; digest: string; chunks: string[] }[];
}

describe.skipIf(skipReason !== "")(
  "seed bundles carry database dumps; apply sends only the chunks that changed",
  () => {
    let planFile: string;
    let stateDir: string;
    let bundle: string;
    let index: Index;
    let damaged: string;
    let exported: { exitCode: number; stderr: string };
    let imported: { exitCode: number; stderr: string };
    let applied: { exitCode?: number; stderr: string };

    beforeAll(async () => {
      await resetFleet();
      ({ planFile, stateDir } = preparePlan((plan) => {
        const tax = plan.workloads?.find((w) => w.name === W);
        if (!tax) return;
        tax.hash = "sm3";
        // Dumps are this file's subject: the tax database moves by dump, not by replication.
        tax.databases = tax.databases?.map((db) => ({ ...db, mode: "dump" as const }));
      }));
      bundle = join(mkdtempSync(join(tmpdir(), "seed-dumps-e2e-")), "ferry-disk");
      const seed = (op: "export" | "import") =>
        runCli([
          "seed",
          op,
          planFile,
          "--only",
          W,
          op === "export" ? "--to" : "--from",
          bundle,
          "--state-dir",
          stateDir,
        ]);
      exported = await seed("export");
      index = JSON.parse(readFileSync(join(bundle, "seed.json"), "utf8")) as Index;
      // One byte flipped in a chunk from the middle of the dump: same name and size, other content.
      const chunks = index.dumps?.[0]?.chunks ?? [];
      damaged = chunks[Math.floor(chunks.length / 2)] ?? "none";
      const file = join(bundle, "dumps", damaged);
      const bytes = readFileSync(file);
      bytes[100] = (bytes[100] ?? 0) ^ 0xff;
      writeFileSync(file, bytes);
      const changed = await sh("tax-src", CHANGE);
      expect(changed.code, changed.stderr).toBe(0);
      imported = await seed("import");
      const run = await apply(planFile, stateDir, ["--only", W]);
      applied = { exitCode: run.exitCode, stderr: String(run.stderr) };
    });

    it("exports the dump as content-defined chunks named by their SM3 digests", () => {
      expect(exported.exitCode, exported.stderr).toBe(0);
      expect(exported.stderr).toMatch(
        /Exported tax-collection: .* and 1 database dump\(s\), 12\.\d MiB, sm3 digests/,
      );
      expect(index.hash).toBe("sm3");
      const dump = index.dumps?.[0];
      expect(dump?.database).toBe(TAX_DB);
      expect(dump?.chunks.length).toBeGreaterThan(20);
      expect(readdirSync(join(bundle, "dumps")).sort()).toEqual([...new Set(dump?.chunks)].sort());
    });

    it("names the damaged dump chunk at import and keeps it out of the target's store", async () => {
      expect(imported.exitCode, imported.stderr).toBe(0);
      expect(imported.stderr).toContain(`chunk ${damaged}: DAMAGED`);
      const store = (await sh("tgt-2", `ls /var/lib/migrate/${W}/chunks 2>/dev/null || true`)).stdout;
      expect(store).not.toContain(damaged);
    });

    it("applies; each dump crosses the link as the chunks the target lacked, and the target has the change", async () => {
      expect(applied.exitCode, applied.stderr.slice(-2000)).toBe(0);
      const transfer = finished(journal(stateDir), `${W}/transfer`) as {
        dumpBytes: number;
        dumpBytesSent: number;
        dumpBytesReused: number;
      };
      // Reused: the carried chunks the change and the damage left alone; sent: the rest, compressed.
      expect(transfer.dumpBytesReused).toBeGreaterThan(transfer.dumpBytes * 0.8);
      expect(transfer.dumpBytesSent).toBeLessThan(transfer.dumpBytes * 0.1);
      const cutover = finished(journal(stateDir), `${W}/cutover`) as {
        databases: { dumpBytes: number; dumpSize: number; dumpBytesReused: number }[];
      };
      const final = cutover.databases[0]!;
      expect(final.dumpBytesReused).toBeGreaterThan(final.dumpSize * 0.8);
      expect(final.dumpBytes).toBeLessThan(final.dumpSize * 0.1);
      const moved = await sh(
        "tgt-2",
        psql("select count(*), max(address) filter (where id = 10000) from taxpayers"),
      );
      expect(moved.stdout.trim()).toBe(`${TAX_ROWS.taxpayers + 1}|changed after the export`);
    });

    it("accounts for the dump's chunks: carried by seed, in place, and sent", async () => {
      const status = await runCli(["status", planFile, "--json", "--state-dir", stateDir]);
      const tax = statusWorkload(status.stdout, W);
      const carried = readFileSync(join(stateDir, "fleet-city-bureaus", "seed.jsonl"), "utf8")
        .split("\n")
        .filter((line) => line.includes('"op":"import"') && line.includes(`"file":"dump:${TAX_DB}"`))
        .map((line) => JSON.parse(line) as { carried: number; outcome: string });
      expect(carried).toHaveLength(1);
      expect(carried[0]?.outcome).toBe("damaged-resent");
      expect(tax?.bytes.seeded).toBeGreaterThanOrEqual(carried[0]!.carried);
      expect(tax?.bytes.inPlace).toBeGreaterThan(0);
    });
  },
);
