/**
 * Issue 12: downtime (frozen → verified, as the journal's workload-end records it) of the fleet's
 * tax workload when its PostgreSQL database moves by `replicate` against `dump`, on the same
 * data under the same steady write load during the whole apply (fixtures/fleet/pg-load.ts).
 * Before each run the fleet is reset and the tax database grown with a ledger table to
 * BENCH_REPLICATION_BYTES (default 512 MiB: the 2 GiB takes too long on the shared
 * 2-core machine for every run; set the variable for the full size). After the replicate run
 * the row count and checksum of every table must be equal on both sides.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { parse, stringify } from "yaml";
import { hostExec } from "../fixtures/fleet/host-exec.ts";
import {
  pgReplicationLeftovers,
  pgTableChecksums,
  readFleet,
  resetSystems,
  startPgLoad,
  TAX_DB,
} from "../fixtures/fleet/index.ts";

const BYTES = Number(process.env.BENCH_REPLICATION_BYTES ?? 512 * 1024 ** 2);
const ROW_BYTES = 1100;
const BIN = join(import.meta.dirname, "../bin/migrate");

async function growTaxDatabase(): Promise<number> {
  const rows = Math.ceil(BYTES / ROW_BYTES);
  const sql = `create table bench_ledger (id bigint primary key, taxpayer_id integer not null, entry text not null);
insert into bench_ledger select g, 1 + g % 20000, repeat(md5(g::text), 32) from generate_series(1, ${rows}) g;
select pg_database_size(current_database());`;
  const result = await hostExec(
    "tax-src",
    `runuser -u postgres -- psql -X -q -At -v ON_ERROR_STOP=1 -d ${TAX_DB} -f -`,
    {
      input: sql,
      timeoutMs: 60 * 60_000,
    },
  );
  if (result.code !== 0) throw new Error(`growing the tax database failed: ${result.stderr}`);
  return Number(result.stdout.trim());
}

interface Measured {
  mode: string;
  downtimeMs: number;
  applyMs: number;
  committed: number;
  refused: number;
}

async function measure(mode: "replicate" | "dump"): Promise<Measured> {
  await resetSystems();
  for (const host of ["tgt-1", "tgt-2", "tgt-3"]) await hostExec(host, "systemctl start nginx");
  const size = await growTaxDatabase();
  console.log(`  ${mode}: tax database grown to ${(size / 1024 ** 2).toFixed(0)} MiB`);
  const dir = mkdtempSync(join(tmpdir(), "bench-replication-"));
  const plan = parse(readFileSync(readFleet().planFile, "utf8"));
  const tax = plan.workloads.find((w: { name: string }) => w.name === "tax-collection");
  for (const db of tax.databases) db.mode = mode;
  const planFile = join(dir, "plan.yaml");
  writeFileSync(planFile, stringify(plan, { lineWidth: 0 }));
  const stateDir = join(dir, "state");
  const load = await startPgLoad("tax-src", TAX_DB);
  const started = Date.now();
  const result = await execa(
    BIN,
    ["apply", planFile, "--yes", "--only", "tax-collection", "--state-dir", stateDir, "--output", "json"],
    {
      reject: false,
      env: { NO_COLOR: "1", CI: "true" },
    },
  );
  const applyMs = Date.now() - started;
  const written = await load.stop();
  if (result.exitCode !== 0) throw new Error(`apply (${mode}) failed: ${result.stderr}`);
  const journal = readFileSync(join(stateDir, "fleet-city-bureaus", "journal.jsonl"), "utf8")
    .split("\n")
    .filter((line) => line.includes('"workload-end"'))
    .map((line) => JSON.parse(line) as { downtimeMs?: number });
  const downtimeMs = journal.at(-1)?.downtimeMs ?? Number.NaN;
  if (mode === "replicate") {
    const [source, target] = await Promise.all([
      pgTableChecksums("tax-src", TAX_DB),
      pgTableChecksums("tgt-2", TAX_DB),
    ]);
    const differ = Object.keys(source).filter((table) => source[table] !== target[table]);
    if (differ.length > 0)
      throw new Error(`tables differ after the replicated cutover: ${differ.join(", ")}`);
    const left = [...(await pgReplicationLeftovers("tax-src")), ...(await pgReplicationLeftovers("tgt-2"))];
    if (left.length > 0) throw new Error(`replication objects left: ${left.join(", ")}`);
    console.log(
      `  replicate: ${Object.keys(source).length} tables equal on both sides (count + checksum), nothing left behind`,
    );
  }
  return { mode, downtimeMs, applyMs, ...written };
}

export async function run(): Promise<void> {
  const dump = await measure("dump");
  const replicate = await measure("replicate");
  for (const m of [dump, replicate]) {
    console.log(
      `  ${m.mode.padEnd(9)} downtime ${(m.downtimeMs / 1000).toFixed(1)} s, whole apply ${(m.applyMs / 1000).toFixed(1)} s, load: ${m.committed} transactions committed, ${m.refused} refused by the freeze`,
    );
  }
  console.log(
    `  downtime replicate/dump: ${(replicate.downtimeMs / dump.downtimeMs).toFixed(2)}x (target: at most 5 s)`,
  );
  await resetSystems();
}
