/**
 * `migrate prepare`: the source server settings replication needs that only a restart brings
 * into effect, set durably ahead of the cutover's window. PostgreSQL: `ALTER SYSTEM` (written to
 * postgresql.auto.conf) for wal_level and, when short, max_replication_slots / max_wal_senders.
 * MariaDB: a config drop-in with log_bin, binlog_format = ROW and a unique server_id. Setting
 * them again to the same values changes nothing, so a second run is harmless. The restart is a
 * separate call, made only when the operator asks for it.
 */
import { createHash } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { RemoteError } from "../../../errors.ts";
import type { Database } from "../../../plan/schema.ts";
import { sh } from "../../../remote/shell.ts";
import type { Remote } from "../../../remote/types.ts";
import { sqlRecords } from "./mysql-client.ts";
import { parseFacts, psql } from "./postgres-sql.ts";

const POSTGRES_CODES = new Set(["wal-level", "replication-slots", "wal-senders"]);
const MARIADB_CODES = new Set(["log-bin", "binlog-format", "server-id"]);

/** Preflight finding codes `migrate prepare` fixes for an engine. */
export function preparableCodes(engine: Database["engine"]): ReadonlySet<string> {
  return engine === "postgresql" ? POSTGRES_CODES : MARIADB_CODES;
}

/** Where MariaDB reads drop-ins, first found wins (Debian, then Red Hat layouts). */
const MARIADB_DIRS = ["/etc/mysql/mariadb.conf.d", "/etc/my.cnf.d", "/etc/mysql/conf.d"];
export const DROP_IN_NAME = "90-migrate-replication.cnf";

/**
 * Slots and senders the move takes on the source at once: the subscription's own, plus the
 * initial copy's table-sync workers (max_sync_workers_per_subscription, 2 by default).
 */
const MOVE_SLOTS = 3;

export interface PreparedSettings {
  /** setting → value, as set now. */
  settings: Record<string, string>;
  /** The drop-in written (MariaDB). */
  file?: string;
  /** The running server still uses other values: they take effect at its next restart. */
  restartNeeded: boolean;
}

const POSTGRES_NOW = `
select 'wal_level', current_setting('wal_level')
union all select 'max_replication_slots', current_setting('max_replication_slots')
union all select 'max_wal_senders', current_setting('max_wal_senders')
union all select 'slots_used', (select count(*) from pg_replication_slots)::text
union all select 'senders_used', (select count(*) from pg_stat_replication)::text;
`;

/** One database's servers and the preflight codes to fix on its source. */
export interface PrepareTarget {
  source: Remote;
  target: Remote;
  db: Database;
  codes: ReadonlySet<string>;
  signal: AbortSignal;
}

async function preparePostgres({ source, db, codes, signal }: PrepareTarget): Promise<PreparedSettings> {
  const now = parseFacts(await psql(source, db, POSTGRES_NOW, signal, { database: "postgres" }));
  const wanted: Record<string, string> = {};
  if (codes.has("wal-level")) wanted.wal_level = "logical";
  const capacity = [
    ["replication-slots", "max_replication_slots", "slots_used"],
    ["wal-senders", "max_wal_senders", "senders_used"],
  ] as const;
  for (const [code, setting, used] of capacity) {
    const need = Number(now[used] ?? 0) + MOVE_SLOTS;
    if (codes.has(code) && Number(now[setting] ?? 0) < need) wanted[setting] = String(need);
  }
  if (Object.keys(wanted).length === 0) return { settings: {}, restartNeeded: false };
  // ALTER SYSTEM takes literals only, one setting per statement.
  const statements = Object.entries(wanted).map(([name, value]) => `alter system set ${name} = '${value}';`);
  await psql(source, db, `${statements.join("\n")}\nselect pg_reload_conf();`, signal, {
    database: "postgres",
  });
  const restartNeeded = Object.entries(wanted).some(([name, value]) => now[name] !== value);
  return { settings: wanted, restartNeeded };
}

/** A non-zero server id for the source, stable for its host and unlike the target's. */
export function chooseServerId(host: string, targetId: number): number {
  const id =
    (Number.parseInt(createHash("sha256").update(host).digest("hex").slice(0, 8), 16) % 4_000_000) + 2;
  return id === targetId ? id + 1 : id;
}

async function prepareMariadb({
  source,
  target,
  db,
  codes,
  signal,
}: PrepareTarget): Promise<PreparedSettings> {
  const what = "reading the binlog settings";
  const [[sourceNow], [targetNow]] = await Promise.all([
    sqlRecords(source, db, "SELECT @@log_bin AS log_bin, @@server_id AS server_id;", { signal, what }),
    sqlRecords(target, db, "SELECT @@server_id AS server_id;", { signal, what }),
  ]);
  const settings: Record<string, string> = {};
  if (codes.has("log-bin")) settings.log_bin = "mysql-bin";
  if (codes.has("log-bin") || codes.has("binlog-format")) settings.binlog_format = "ROW";
  if (codes.has("server-id") || (codes.has("log-bin") && Number(sourceNow?.server_id ?? 0) === 0))
    settings.server_id = String(chooseServerId(source.host, Number(targetNow?.server_id ?? 0)));
  if (Object.keys(settings).length === 0) return { settings, restartNeeded: false };
  const found = await source.check(
    sh`for d in ${MARIADB_DIRS}; do if [ -d "$d" ]; then echo "$d"; exit 0; fi; done; exit 1`,
    { signal },
  );
  const file = `${found.stdout.trim()}/${DROP_IN_NAME}`;
  const body = [
    `# Written by migrate prepare: binlog replication of ${db.name} (docs/replication-mysql.md).`,
    "[mariadb]",
    ...Object.entries(settings).map(([name, value]) => `${name} = ${value}`),
    "",
  ].join("\n");
  await source.check(sh`cat > ${file}.tmp && mv ${file}.tmp ${file}`, { signal, stdin: body });
  return { settings, file, restartNeeded: true };
}

/** Set what the preflight's `codes` ask for on the source server; nothing else changes. */
export async function prepareServer(prepare: PrepareTarget): Promise<PreparedSettings> {
  return prepare.db.engine === "postgresql" ? await preparePostgres(prepare) : await prepareMariadb(prepare);
}

/** The systemd unit of the database server. */
export function serverUnit(engine: Database["engine"]): string {
  return engine === "postgresql" ? "postgresql" : "mariadb";
}

const RESTART_READY_MS = 120_000;

/** Restart the source's database server and wait until it answers queries again. */
export async function restartServer(source: Remote, db: Database, signal: AbortSignal): Promise<void> {
  await source.check(sh`systemctl restart ${serverUnit(db.engine)}`, { signal, timeoutMs: RESTART_READY_MS });
  const until = Date.now() + RESTART_READY_MS;
  for (;;) {
    try {
      if (db.engine === "postgresql") await psql(source, db, "select 1;", signal, { database: "postgres" });
      else await sqlRecords(source, db, "SELECT 1 AS up;", { signal, what: "waiting for the restart" });
      return;
    } catch (error) {
      if (signal.aborted) throw error;
      if (Date.now() > until)
        throw new RemoteError(
          "remote",
          `the ${db.engine} server on ${source.host} did not answer within ${RESTART_READY_MS / 1000} s of its restart`,
          { host: source.host, command: `systemctl restart ${serverUnit(db.engine)}`, exitCode: null },
          {
            retryable: false,
            hint: `check the server's log on ${source.host} (journalctl -u ${serverUnit(db.engine)})`,
          },
        );
      await delay(500, undefined, { signal });
    }
  }
}
