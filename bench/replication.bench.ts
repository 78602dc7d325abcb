/**
 * Issue 12, in one run: downtime (frozen → verified, the journal's workload-end) when a database
 * moves by `replicate` against `dump`, through the whole `migrate apply`, on the same data and
 * under the same steady write load from before the apply until the freeze
 * (fixtures/fleet/pg-load.ts, mariadb-load.ts: inserts, updates, deletes, a sequence):
 *   - PostgreSQL: the tax workload (files, its service, proxy switch, verify) with its database
 *     grown by a ledger table to BENCH_PG_BYTES (default 2 GiB); and, with `replicate`, the
 *     same database as a workload holding only the database (no files, services or switch), so
 *     the database's share is visible alone;
 *   - MariaDB: the licensing workload with its database grown by a documents table to
 *     BENCH_MARIADB_MB (default 1024 MiB), with InnoDB's buffer pool on both sides set at runtime
 *     to BENCH_MARIADB_POOL_MB (default 1536, so the table fits; 0 keeps the fleet's 16 MiB) and
 *     restored after each round.
 * Each round starts from a reset fleet and grows the data again inside the database. After every
 * cutover the row count and checksum of each table must be equal on both sides, and no
 * replication object may be left. The load stops at the freeze: in a real bureau its writer is
 * the stopped service, and the dump path (which does not make the database read-only) would
 * otherwise miss writes the stopped service could never have made.
 */
import {
  hostExec,
  pgTableChecksums,
  resetSystems,
  startMariadbLoad,
  startPgLoad,
  TAX_DB,
} from "../fixtures/fleet/index.ts";
import { LICENSING_DB } from "../fixtures/fleet/licensing-db.ts";
import { pgReplicationLeftovers } from "../fixtures/fleet/pg-load.ts";
import {
  contents,
  SOURCE as LIC_SOURCE,
  TARGET as LIC_TARGET,
  leftovers,
} from "../test/e2e/support/mariadb-replication.ts";
import {
  dropMariadbDocuments,
  growMariadb,
  growPostgres,
  restoreMariadbPool,
  setMariadbPool,
} from "./replication-data.ts";
import { type Round, runRound } from "./replication-round.ts";

const PG_BYTES = Number(process.env.BENCH_PG_BYTES ?? 2 * 1024 ** 3);
const MARIADB_MB = Number(process.env.BENCH_MARIADB_MB ?? 1024);
// InnoDB's buffer pool on the licensing source and its target for the MariaDB rounds: a server
// holding a 1 GiB database sizes its pool to hold it, the fleet's 16 MiB does not (0 keeps it).
const MARIADB_POOL_MB = Number(process.env.BENCH_MARIADB_POOL_MB ?? 1536);
const MiB = 1024 ** 2;

async function startTargets(): Promise<void> {
  for (const host of ["tgt-1", "tgt-2", "tgt-3"]) await hostExec(host, "systemctl start nginx");
}

function equalTables(engine: string, source: Record<string, string>, target: Record<string, string>): number {
  const tables = [...new Set([...Object.keys(source), ...Object.keys(target)])];
  const differ = tables.filter((table) => source[table] !== target[table]);
  if (differ.length > 0) {
    const shown = differ.map((t) => `${t}: ${source[t] ?? "missing"} / ${target[t] ?? "missing"}`);
    throw new Error(`${engine}: tables differ after the cutover: ${shown.join("; ")}`);
  }
  return tables.length;
}

async function postgresRound(
  mode: "replicate" | "dump",
  shape: "workload" | "database only",
): Promise<Round> {
  await resetSystems();
  await startTargets();
  const size = await growPostgres("tax-src", TAX_DB, PG_BYTES);
  const round = await runRound({
    label: `PostgreSQL ${(size / MiB).toFixed(0)} MiB, ${mode}, ${shape}`,
    workload: "tax-collection",
    edit: (w) => {
      for (const db of w.databases) db.mode = mode;
      if (shape === "database only") {
        w.paths = [];
        w.services = [];
        delete w.rewrite;
        delete w.cutover;
        w.verify = w.verify.filter((check: Record<string, unknown>) => "rowCount" in check);
      }
    },
    startLoad: async () => {
      const load = await startPgLoad("tax-src", TAX_DB);
      return async () => {
        const { committed, refused } = await load.stop();
        return `${committed} transactions committed, ${refused} refused by the freeze`;
      };
    },
  });
  const [source, target] = await Promise.all([
    pgTableChecksums("tax-src", TAX_DB),
    pgTableChecksums("tgt-2", TAX_DB),
  ]);
  round.tables = equalTables("PostgreSQL", source, target);
  // The target keeps a reverse slot for a rollback from the switch until finalize (by design).
  const onTarget = await pgReplicationLeftovers("tgt-2");
  const reverse = /^(slot|publication|user) migrate_(sub|pub|repl)_r/;
  const left = [
    ...(await pgReplicationLeftovers("tax-src")),
    ...onTarget.filter((line) => !reverse.test(line)),
  ];
  if (left.length > 0) throw new Error(`replication objects left: ${left.join(", ")}`);
  return round;
}

async function mariadbRound(mode: "replicate" | "dump"): Promise<Round> {
  await resetSystems();
  await startTargets();
  const pools = new Map<string, number>();
  try {
    if (MARIADB_POOL_MB > 0) {
      for (const host of [LIC_SOURCE, LIC_TARGET])
        pools.set(host, await setMariadbPool(host, MARIADB_POOL_MB));
    }
    await growMariadb(LIC_SOURCE, LICENSING_DB, MARIADB_MB);
    const sized = await hostExec(
      LIC_SOURCE,
      `mysql -N -B -e "SELECT SUM(data_length + index_length) FROM information_schema.tables WHERE table_schema = '${LICENSING_DB}'"`,
    );
    const size = Number(sized.stdout.trim());
    const round = await runRound({
      label: `MariaDB ${(size / MiB).toFixed(0)} MiB, ${mode}, workload, buffer pool ${MARIADB_POOL_MB > 0 ? `${MARIADB_POOL_MB} MiB` : "as configured"}`,
      workload: "licensing",
      edit: (w) => {
        w.databases = [{ engine: "mariadb", name: LICENSING_DB, mode }];
        // Moved alone: its dependency on the tax system is not what is measured.
        delete w.dependsOn;
      },
      startLoad: async () => {
        const load = await startMariadbLoad(LIC_SOURCE, LICENSING_DB);
        return async () => `${(await load.stop()).rounds} rounds (insert + update + delete)`;
      },
    });
    const [source, target] = await Promise.all([
      contents(LIC_SOURCE, LICENSING_DB),
      contents(LIC_TARGET, LICENSING_DB),
    ]);
    round.tables = equalTables("MariaDB", source, target);
    const left = await leftovers();
    if (left.connections.length + left.accounts.length > 0) {
      throw new Error(`replication objects left: ${JSON.stringify(left)}`);
    }
    return round;
  } finally {
    await dropMariadbDocuments(LIC_SOURCE, LICENSING_DB);
    await hostExec(LIC_TARGET, `mysql -e "DROP DATABASE IF EXISTS ${LICENSING_DB}"`);
    for (const [host, bytes] of pools) await restoreMariadbPool(host, bytes);
  }
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function report(round: Round): void {
  const phases = round.phases.map(([name, ms]) => `${name} ${s(ms)}`).join(", ");
  console.log(
    `  ${round.label}: downtime ${s(round.downtimeMs)}, whole apply ${s(round.applyMs)}; ${round.tables} tables equal (count + checksum); load ${round.load}`,
  );
  console.log(`    ${phases}`);
}

export async function run(): Promise<void> {
  const only = process.env.BENCH_REPLICATION_ENGINES ?? "postgresql,mariadb";
  const pairs: [string, Round, Round][] = [];
  try {
    if (only.includes("postgresql")) {
      // Each PostgreSQL round grows 2 GiB anew; a check of one figure can run only that round.
      const rounds = process.env.BENCH_PG_ROUNDS ?? "dump,replicate,alone";
      const dump = rounds.includes("dump") ? await postgresRound("dump", "workload") : undefined;
      if (dump) report(dump);
      const replicate = rounds.includes("replicate")
        ? await postgresRound("replicate", "workload")
        : undefined;
      if (replicate) report(replicate);
      if (rounds.includes("alone")) report(await postgresRound("replicate", "database only"));
      if (replicate && dump) pairs.push(["PostgreSQL", replicate, dump]);
    }
    if (only.includes("mariadb")) {
      const dump = await mariadbRound("dump");
      report(dump);
      const replicate = await mariadbRound("replicate");
      report(replicate);
      pairs.push(["MariaDB", replicate, dump]);
    }
    for (const [engine, replicate, dump] of pairs) {
      console.log(
        `  ${engine}: downtime replicate ${s(replicate.downtimeMs)} / dump ${s(dump.downtimeMs)} = ${(replicate.downtimeMs / dump.downtimeMs).toFixed(3)}x (target: replicate at most 5 s)`,
      );
    }
  } finally {
    await resetSystems();
  }
}
