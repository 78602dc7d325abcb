/**
 * Bench data for issue 12, generated inside the databases (generate_series, INSERT … SELECT
 * from MariaDB's sequence engine) so growing to gigabytes costs no round trips from node.
 */
import { hostExec } from "../fixtures/fleet/index.ts";

const LEDGER_ROW_BYTES = 1100;

async function mariadb(host: string, sql: string, database = ""): Promise<string> {
  const result = await hostExec(host, `mysql -N -B ${database}`, { input: sql, timeoutMs: 3_600_000 });
  if (result.code !== 0) throw new Error(`mysql on ${host}: ${result.stderr}`);
  return result.stdout;
}

/** A ledger table of about `bytes` in a PostgreSQL database; resolves with the database's size. */
export async function growPostgres(host: string, database: string, bytes: number): Promise<number> {
  const rows = Math.ceil(bytes / LEDGER_ROW_BYTES);
  const sql = `create table bench_ledger (id bigint primary key, taxpayer_id integer not null, entry text not null);
insert into bench_ledger select g, 1 + g % 20000, repeat(md5(g::text), 32) from generate_series(1, ${rows}) g;
-- As autovacuum leaves a long-lived table (PostgreSQL 13 and later also after bulk inserts):
-- its visibility map set, so an exact count can read the primary key instead of every row.
vacuum (analyze) bench_ledger;
select pg_database_size(current_database());`;
  const result = await hostExec(
    host,
    `runuser -u postgres -- psql -X -q -At -v ON_ERROR_STOP=1 -d ${database} -f -`,
    { input: sql, timeoutMs: 60 * 60_000 },
  );
  if (result.code !== 0) throw new Error(`growing ${database} on ${host} failed: ${result.stderr}`);
  return Number(result.stdout.trim());
}

/** About `mb` MiB of documents (1 KiB of base64 text each), not binlogged: it is the starting data. */
export async function growMariadb(host: string, database: string, mb: number): Promise<void> {
  await mariadb(
    host,
    "CREATE TABLE IF NOT EXISTS documents (id INT AUTO_INCREMENT PRIMARY KEY, holder_id INT NOT NULL, body TEXT NOT NULL) ENGINE=InnoDB;",
    database,
  );
  const rows = mb * 1024;
  for (let done = 0; done < rows; done += 50_000) {
    const n = Math.min(50_000, rows - done);
    await mariadb(
      host,
      `SET SESSION sql_log_bin = 0; INSERT INTO documents (holder_id, body) SELECT 1 + seq % 1000, TO_BASE64(RANDOM_BYTES(760)) FROM seq_1_to_${n};`,
      database,
    );
  }
  // Fresh statistics, so the size on disk the deadlines follow (and the figures) are right.
  await mariadb(host, "ANALYZE TABLE documents;", database);
}

export async function dropMariadbDocuments(host: string, database: string): Promise<void> {
  await mariadb(host, "DROP TABLE IF EXISTS documents;", database);
}

const poolBytes = async (host: string): Promise<number> =>
  Number((await mariadb(host, "SELECT @@innodb_buffer_pool_size;")).trim());

/**
 * Sets InnoDB's buffer pool to `mb` MiB at runtime (dynamic since MariaDB 10.2) and waits until
 * the resize finished; resolves with the size before, for restoring it.
 */
export async function setMariadbPool(host: string, mb: number): Promise<number> {
  const before = await poolBytes(host);
  await mariadb(host, `SET GLOBAL innodb_buffer_pool_size = ${mb * 1024 ** 2};`);
  for (let i = 0; i < 600; i++) {
    const status = await mariadb(
      host,
      "SELECT variable_value FROM information_schema.global_status WHERE variable_name = 'INNODB_BUFFER_POOL_RESIZE_STATUS';",
    );
    if ((await poolBytes(host)) === mb * 1024 ** 2 && !/^(resizing|withdraw|allocat)/i.test(status.trim())) {
      return before;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${host}: the buffer pool resize to ${mb} MiB did not finish`);
}

export async function restoreMariadbPool(host: string, bytes: number): Promise<void> {
  await setMariadbPool(host, bytes / 1024 ** 2);
}
