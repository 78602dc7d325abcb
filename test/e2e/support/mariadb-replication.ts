/**
 * What the MariaDB replication tests share: the product's SSH pool onto lic-src and tgt-3, a
 * replication context whose endpoint is the source server's own address (the fleet's hosts
 * share one loopback, so tgt-3's mariadbd reaches lic-src's directly, where a real move goes
 * through the SSH tunnel's local end), and SQL run behind the product's back to check results.
 */
import { hostExec, readFleet } from "../../../fixtures/fleet/index.ts";
import { loadPlanOrThrow } from "../../../src/plan/load.ts";
import type { Database } from "../../../src/plan/schema.ts";
import { planHosts, SshPool } from "../../../src/remote/pool.ts";
import type { ReplicationContext } from "../../../src/steps/db/replication/types.ts";

export const SOURCE = "lic-src";
export const TARGET = "tgt-3";

/** `commands` receives every command line the pool runs (the audit record), to check for secrets. */
export async function openPool(commands: string[] = []): Promise<SshPool> {
  const fleet = readFleet();
  const { plan } = await loadPlanOrThrow(fleet.planFile);
  return new SshPool({
    hosts: planHosts(plan),
    knownHostsFile: fleet.client.knownHosts,
    onCommand: (audit) => commands.push(audit.command),
  });
}

export function licensingDb(): Database {
  return { engine: "mariadb", name: readFleet().mariadb.database.name };
}

export function contextFor(
  pool: SshPool,
  signal: AbortSignal,
  password = "per-move 's3cret\\\"",
): ReplicationContext {
  const fleet = readFleet();
  const source = fleet.hosts.find((h) => h.name === SOURCE);
  if (!source) throw new Error(`no fleet host ${SOURCE}`);
  return {
    source: pool.remote(SOURCE),
    target: pool.remote(TARGET),
    db: licensingDb(),
    endpoint: { host: source.address, port: fleet.mariadb.port },
    password,
    signal,
  };
}

/** SQL as root's ~/.my.cnf account on the host, as tab-separated rows. */
export async function query(host: string, sql: string, database = ""): Promise<string[][]> {
  const result = await hostExec(host, `mysql -N -B ${database}`, { input: sql, timeoutMs: 120_000 });
  if (result.code !== 0) throw new Error(`mysql on ${host} failed: ${result.stderr}`);
  return result.stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.split("\t"));
}

const quoted = (name: string) => `\`${name.replaceAll("`", "``")}\``;

export async function tablesOf(host: string, database: string): Promise<string[]> {
  const rows = await query(
    host,
    `SELECT table_name FROM information_schema.tables WHERE table_schema = '${database}' AND table_type = 'BASE TABLE' ORDER BY 1;`,
  );
  return rows.map(([name = ""]) => name);
}

/** Row count and CHECKSUM TABLE ... EXTENDED of every table, keyed by table name. */
export async function contents(host: string, database: string): Promise<Record<string, string>> {
  const tables = await tablesOf(host, database);
  const counts = await query(
    host,
    tables.map((t) => `SELECT '${t}', COUNT(*) FROM ${quoted(t)};`).join("\n"),
    database,
  );
  const sums = await query(host, `CHECKSUM TABLE ${tables.map(quoted).join(", ")} EXTENDED;`, database);
  return Object.fromEntries(tables.map((t, i) => [t, `${counts[i]?.[1]} rows, checksum ${sums[i]?.[1]}`]));
}

/** The replica connections on the target and the move's accounts on both servers. */
export async function leftovers(): Promise<{ connections: string[]; accounts: string[] }> {
  const connections = (await query(TARGET, "SHOW ALL SLAVES STATUS;")).map(([name = ""]) => name);
  const accounts = [];
  for (const host of [SOURCE, TARGET]) {
    const rows = await query(
      host,
      "SELECT CONCAT(user, '@', host) FROM mysql.user WHERE user LIKE 'migrate\\_repl%';",
    );
    accounts.push(...rows.map(([who = ""]) => `${who} on ${host}`));
  }
  return { connections, accounts };
}
