/**
 * Whether a MariaDB database can be moved by binlog replication, read from both servers without
 * changing anything: row-based binlogs on the source, distinct server ids, tables a consistent
 * snapshot can seed (InnoDB), a target at least as new, and accounts allowed to set it up.
 */
import type { Database } from "../../../plan/schema.ts";
import type { Remote } from "../../../remote/types.ts";
import { sqlRecords, sqlRows, sqlString } from "./mysql-client.ts";
import type { ReplicationFinding } from "./types.ts";

interface ServerFacts {
  version: string;
  logBin: boolean;
  binlogFormat: string;
  binlogRowImage: string;
  serverId: number;
  grants: string;
}

const VARIABLES =
  "SELECT @@version AS version, @@log_bin AS log_bin, @@binlog_format AS binlog_format, @@binlog_row_image AS binlog_row_image, @@server_id AS server_id";

async function facts(remote: Remote, db: Database, signal: AbortSignal): Promise<ServerFacts> {
  const what = `reading the replication settings of ${db.name}`;
  const [row] = await sqlRecords(remote, db, `${VARIABLES};`, { signal, what });
  const grants = await sqlRows(remote, db, "SHOW GRANTS;", { signal, what });
  return {
    version: row?.version ?? "",
    logBin: row?.log_bin === "1",
    binlogFormat: row?.binlog_format ?? "",
    binlogRowImage: row?.binlog_row_image ?? "",
    serverId: Number(row?.server_id ?? 0),
    grants: grants.map((columns) => columns[0] ?? "").join("\n"),
  };
}

function versionParts(version: string): number[] {
  return (/^(\d+)\.(\d+)\.(\d+)/.exec(version) ?? []).slice(1).map(Number);
}

function older(a: string, b: string): boolean {
  const [x, y] = [versionParts(a), versionParts(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) < (y[i] ?? 0);
  return false;
}

/** The global grant line holds every privilege named (ALL PRIVILEGES counts as each but GRANT OPTION). */
function globalGrantHas(grants: string, privileges: readonly (readonly string[])[]): boolean {
  const global = grants.split("\n").filter((line) => / ON \*\.\* TO /.test(line));
  const all = global.some((line) => line.startsWith("GRANT ALL PRIVILEGES"));
  return privileges.every((alternatives) =>
    alternatives.some((p) =>
      p === "GRANT OPTION"
        ? global.some((line) => line.includes("WITH GRANT OPTION"))
        : all || global.some((line) => new RegExp(`[ ,]${p}[ ,]`).test(line.replace(/ ON \*\.\*.*/, " "))),
    ),
  );
}

/** Source: create the replication account, read binlog coordinates, dump consistently. */
const SOURCE_PRIVILEGES = [
  ["CREATE USER"],
  ["GRANT OPTION"],
  ["REPLICATION SLAVE"],
  ["BINLOG MONITOR", "REPLICATION CLIENT", "SUPER"],
  ["RELOAD"],
] as const;
/** Target: configure and run a replica connection. */
const TARGET_PRIVILEGES = [["REPLICATION SLAVE ADMIN", "SUPER"]] as const;

interface TableFacts {
  name: string;
  engine: string;
  hasKey: boolean;
}

async function tables(source: Remote, db: Database, signal: AbortSignal): Promise<TableFacts[]> {
  const rows = await sqlRows(
    source,
    db,
    `SELECT t.table_name, COALESCE(t.engine, ''), EXISTS (SELECT 1 FROM information_schema.table_constraints c
       WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name AND c.constraint_type = 'PRIMARY KEY')
     FROM information_schema.tables t
     WHERE t.table_schema = ${sqlString(db.name)} AND t.table_type IN ('BASE TABLE', 'SYSTEM VERSIONED')
     ORDER BY 1;`,
    { signal, what: `listing the tables of ${db.name}` },
  );
  return rows.map(([name = "", engine = "", key = "0"]) => ({ name, engine, hasKey: key === "1" }));
}

function finding(
  severity: ReplicationFinding["severity"],
  code: string,
  message: string,
  hint: string,
  tableNames?: string[],
): ReplicationFinding {
  return { severity, code, message, hint, ...(tableNames ? { tables: tableNames } : {}) };
}

function serverFindings(db: Database, source: ServerFacts, target: ServerFacts): ReplicationFinding[] {
  const found: ReplicationFinding[] = [];
  const name = db.name;
  if (!source.version.includes("MariaDB") || !target.version.includes("MariaDB")) {
    found.push(
      finding(
        "block",
        "mysql-flavor",
        `database ${name}: binlog replication is built for MariaDB on both ends; source runs ${source.version}, target ${target.version}.`,
        "use mode: dump for this database",
      ),
    );
  }
  if (!source.logBin) {
    found.push(
      finding(
        "block",
        "log-bin",
        `database ${name}: the source server writes no binary log (log_bin is OFF), so there is nothing to replicate from.`,
        "set log_bin = mysql-bin and a unique server_id in the source's my.cnf [mariadbd] section and restart it in an earlier window (`migrate prepare <plan> --only <workload> [--restart]` writes a drop-in and restarts); until then use mode: dump",
      ),
    );
  }
  if (source.binlogFormat !== "ROW") {
    found.push(
      finding(
        "block",
        "binlog-format",
        `database ${name}: the source logs in ${source.binlogFormat} format; only ROW replicates every change deterministically.`,
        "SET GLOBAL binlog_format = 'ROW' on the source (new sessions pick it up) and put binlog_format = ROW in its my.cnf (`migrate prepare` writes it)",
      ),
    );
  } else if (source.binlogRowImage !== "FULL") {
    found.push(
      finding(
        "warn",
        "binlog-row-image",
        `database ${name}: the source logs binlog_row_image = ${source.binlogRowImage}; a replica applies it, but a row that differs on the target goes unnoticed.`,
        "SET GLOBAL binlog_row_image = 'FULL' on the source and in its my.cnf",
      ),
    );
  }
  if (source.serverId === 0 || source.serverId === target.serverId) {
    found.push(
      finding(
        "block",
        "server-id",
        `database ${name}: server_id is ${source.serverId} on the source and ${target.serverId} on the target; a replica ignores events carrying its own id and a source with id 0 refuses replicas.`,
        "give each server its own non-zero server_id in my.cnf (SET GLOBAL server_id = N takes effect at once on the target; `migrate prepare` sets the source's)",
      ),
    );
  }
  if (versionParts(target.version).length === 3 && older(target.version, source.version)) {
    found.push(
      finding(
        "block",
        "version",
        `database ${name}: the target runs ${target.version}, older than the source's ${source.version}; an older replica may not read a newer binlog.`,
        "install the same or a newer MariaDB on the target",
      ),
    );
  }
  if (!globalGrantHas(source.grants, SOURCE_PRIVILEGES)) {
    found.push(
      finding(
        "block",
        "replication-privileges",
        `database ${name}: the source account may not create the replication account or read binlog coordinates (it needs CREATE USER, REPLICATION SLAVE WITH GRANT OPTION, BINLOG MONITOR and RELOAD on *.*).`,
        "GRANT CREATE USER, REPLICATION SLAVE, BINLOG MONITOR, RELOAD ON *.* TO the migration account WITH GRANT OPTION",
      ),
    );
  }
  if (!globalGrantHas(target.grants, TARGET_PRIVILEGES)) {
    found.push(
      finding(
        "block",
        "replication-privileges",
        `database ${name}: the target account may not set up a replica connection (it needs REPLICATION SLAVE ADMIN or SUPER on *.*).`,
        "GRANT REPLICATION SLAVE ADMIN ON *.* TO the migration account on the target",
      ),
    );
  }
  return found;
}

function tableFindings(db: Database, all: TableFacts[]): ReplicationFinding[] {
  const found: ReplicationFinding[] = [];
  const other = all.filter((t) => t.engine.toLowerCase() !== "innodb");
  if (other.length > 0) {
    const names = other.map((t) => `${t.name} (${t.engine || "unknown engine"})`).join(", ");
    found.push(
      finding(
        "block",
        "non-innodb",
        `database ${db.name}: ${names} ${other.length === 1 ? "is" : "are"} not InnoDB; --single-transaction gives no consistent snapshot of such tables, so the seed would not match its binlog position and the replica would drift or stop.`,
        "ALTER TABLE ... ENGINE=InnoDB on the source beforehand, or use mode: dump for this database",
        other.map((t) => t.name),
      ),
    );
  }
  const keyless = all.filter((t) => !t.hasKey);
  if (keyless.length > 0) {
    found.push(
      finding(
        "warn",
        "no-primary-key",
        `database ${db.name}: ${keyless.map((t) => t.name).join(", ")} ${keyless.length === 1 ? "has" : "have"} no primary key; the replica finds each changed row by a full table scan, so catching up on a large table is slow.`,
        "add a primary key (ALTER TABLE ... ADD PRIMARY KEY) before the move",
        keyless.map((t) => t.name),
      ),
    );
  }
  return found;
}

/** Read-only checks on both servers; an empty list means replicate mode may be chosen. */
export async function mysqlPreflight(
  source: Remote,
  target: Remote,
  db: Database,
  signal: AbortSignal,
): Promise<ReplicationFinding[]> {
  const [sourceFacts, targetFacts, tableFacts] = await Promise.all([
    facts(source, db, signal),
    facts(target, db, signal),
    tables(source, db, signal),
  ]);
  return [...serverFindings(db, sourceFacts, targetFacts), ...tableFindings(db, tableFacts)];
}
