/**
 * Issue 12, MariaDB: the database's share of downtime, frozen → verified, with binlog
 * replication against the dump and restore under freeze migrate does today, on the same data
 * under the same steady write load, in one run. For each size: the licensing database as
 * seeded, then grown by a `documents` table (BENCH_MARIADB_MB, default 256 MiB):
 *   - replicate: seed the replica (not timed: the source is live), 5 s of load, freeze
 *     (read_only + the application's sessions killed), then source position → applied on the
 *     target → per-table row counts equal;
 *   - dump (baseline): the target emptied, 5 s of the same load, freeze, then the product's own
 *     final-sync path: the dump streamed to the target with its row counts, restored, counted.
 * Endpoint: lic-src's own address (the fleet shares one loopback; a real move uses the tunnel).
 */
import { hostExec, readFleet, startMariadbLoad } from "../fixtures/fleet/index.ts";
import { loadPlanOrThrow } from "../src/plan/load.ts";
import { planHosts, SshPool } from "../src/remote/pool.ts";
import { sh } from "../src/remote/shell.ts";
import { countRows, databaseSize } from "../src/steps/db/engines.ts";
import { parseRowCounts } from "../src/steps/db/postgres.ts";
import { mysqlReplication } from "../src/steps/db/replication/mysql.ts";
import type { ReplicationContext } from "../src/steps/db/replication/types.ts";
import { streamDump } from "../src/steps/db/stream-dump.ts";
import { restoreDatabase } from "../src/steps/reconfigure.ts";
import { dropMariadbDocuments, growMariadb } from "./replication-data.ts";

const MB = 1024 * 1024;
const GROWN_MB = Number(process.env.BENCH_MARIADB_MB ?? 256);
const LOAD_MS = 5_000;
const SOURCE = "lic-src";
const TARGET = "tgt-3";

async function root(host: string, sql: string, database = ""): Promise<string> {
  const result = await hostExec(host, `mysql -N -B ${database}`, { input: sql, timeoutMs: 3_600_000 });
  if (result.code !== 0) throw new Error(`mysql on ${host}: ${result.stderr}`);
  return result.stdout;
}

const seconds = (ms: number) => (ms / 1000).toFixed(2);

async function replicateRound(
  ctx: ReplicationContext,
): Promise<{ seedMs: number; frozenMs: number; rounds: number }> {
  await root(TARGET, "DROP DATABASE IF EXISTS licensing;");
  const load = await startMariadbLoad(SOURCE, "licensing");
  let started = performance.now();
  const state = await mysqlReplication.start(ctx);
  const seedMs = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, LOAD_MS));
  await mysqlReplication.freeze(ctx);
  started = performance.now();
  const position = await mysqlReplication.sourcePosition(ctx);
  await mysqlReplication.waitApplied(ctx, state, position, 10 * 60_000);
  await mysqlReplication.finishCutover(ctx, state);
  const [source, target] = await Promise.all([
    countRows(ctx.source, ctx.db, ctx.signal),
    countRows(ctx.target, ctx.db, ctx.signal),
  ]);
  const frozenMs = performance.now() - started;
  const { rounds } = await load.stop();
  if (JSON.stringify(source) !== JSON.stringify(target)) {
    throw new Error(`row counts differ: ${JSON.stringify(source)} vs ${JSON.stringify(target)}`);
  }
  await mysqlReplication.teardown(ctx, state);
  return { seedMs, frozenMs, rounds };
}

async function dumpRound(ctx: ReplicationContext): Promise<{ frozenMs: number; bytes: number }> {
  await root(TARGET, "DROP DATABASE IF EXISTS licensing;");
  const load = await startMariadbLoad(SOURCE, "licensing");
  await new Promise((resolve) => setTimeout(resolve, LOAD_MS));
  await mysqlReplication.freeze(ctx);
  const started = performance.now();
  const file = "/var/tmp/migrate-bench-mariadb/final.sql";
  await ctx.source.check(sh`mkdir -p /var/tmp/migrate-bench-mariadb`);
  const sizeBytes = await databaseSize(ctx.source, ctx.db, ctx.signal);
  // An empty chunk store on the target: the whole dump crosses, as before dumps went as deltas.
  await ctx.target.check(
    sh`rm -rf /var/tmp/migrate-bench-mariadb && mkdir -p /var/tmp/migrate-bench-mariadb`,
  );
  const { bytes, sha256 } = await streamDump(ctx.source, ctx.target, ctx.db, file, {
    signal: ctx.signal,
    throttle: { take: async () => {} },
    onBytes: () => {},
    sizeBytes,
    countsFile: `${file}.counts`,
    stagingDir: "/var/tmp/migrate-bench-mariadb",
    hash: "sha256",
  });
  const counted = await ctx.source.check(sh`cat -- ${`${file}.counts`}`);
  const rowCounts = parseRowCounts(counted.stdout);
  const input = {
    ...ctx.db,
    dumpFile: file,
    finalDumpFile: file,
    mode: "dump" as const,
    modeReason: "the baseline",
    modeAsked: true,
  };
  const snapshot = {
    engine: ctx.db.engine,
    name: ctx.db.name,
    dumpFile: file,
    dumpSha256: sha256,
    rowCounts,
  };
  await restoreDatabase(ctx.target, input, snapshot, file, ctx.signal, bytes);
  const frozenMs = performance.now() - started;
  await load.stop();
  await Promise.all(
    [ctx.source, ctx.target].map((remote) => remote.check(sh`rm -rf /var/tmp/migrate-bench-mariadb`)),
  );
  return { frozenMs, bytes };
}

export async function run(): Promise<void> {
  const fleet = readFleet();
  const { plan } = await loadPlanOrThrow(fleet.planFile);
  const pool = new SshPool({ hosts: planHosts(plan), knownHostsFile: fleet.client.knownHosts });
  const address = fleet.hosts.find((h) => h.name === SOURCE)?.address ?? "";
  const ctx: ReplicationContext = {
    source: pool.remote(SOURCE),
    target: pool.remote(TARGET),
    db: { engine: "mariadb", name: "licensing" },
    endpoint: { host: address, port: fleet.mariadb.port },
    password: "bench-replication-secret",
    signal: new AbortController().signal,
  };
  try {
    for (const mb of [0, GROWN_MB]) {
      if (mb > 0) await growMariadb(SOURCE, "licensing", mb);
      await mysqlReplication.thaw(ctx);
      const size = await databaseSize(ctx.source, ctx.db, ctx.signal);
      const replicated = await replicateRound(ctx);
      await mysqlReplication.thaw(ctx);
      const dumped = await dumpRound(ctx);
      await mysqlReplication.thaw(ctx);
      console.log(
        `licensing ${(size / MB).toFixed(1)} MiB on disk (dump ${(dumped.bytes / MB).toFixed(1)} MiB), load ~${Math.round(replicated.rounds / (LOAD_MS / 1000 + replicated.seedMs / 1000))} rounds/s (insert+update+delete):` +
          ` frozen → verified replicate ${seconds(replicated.frozenMs)} s vs dump ${seconds(dumped.frozenMs)} s` +
          ` (ratio ${(replicated.frozenMs / dumped.frozenMs).toFixed(3)}); replica seed while live ${seconds(replicated.seedMs)} s`,
      );
    }
  } finally {
    await mysqlReplication.thaw(ctx);
    await dropMariadbDocuments(SOURCE, "licensing");
    await root(TARGET, "DROP DATABASE IF EXISTS licensing;");
    await pool.close();
  }
}
