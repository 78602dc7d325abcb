/**
 * Read-only checks that logical replication of one PostgreSQL database can work, on both hosts.
 * A `block` finding means replicate mode cannot be used (the database moves by dump instead, or
 * apply refuses when the plan asked for replicate explicitly); a `warn` is shown and allowed.
 */
import type { Database } from "../../../plan/schema.ts";
import type { Remote } from "../../../remote/types.ts";
import { parseFacts, psql, SOURCE_FACTS, TABLES_WITHOUT_KEY } from "./postgres-sql.ts";
import type { ReplicationFinding } from "./types.ts";

function major(versionNum: string | undefined): number {
  return Math.floor(Number(versionNum ?? "0") / 10_000);
}

/** The findings of facts already read (pure: also what `plan` and tests use). */
export function postgresFindings(
  db: string,
  facts: Record<string, string>,
  keyless: readonly string[],
  targetVersion: string | undefined,
): ReplicationFinding[] {
  const findings: ReplicationFinding[] = [];
  if (facts.wal_level !== "logical") {
    findings.push({
      severity: "block",
      code: "wal-level",
      message: `database ${db}: the source server runs with wal_level = ${facts.wal_level ?? "unknown"}, and logical replication needs wal_level = logical, which takes a server restart`,
      hint: "set wal_level = logical (ALTER SYSTEM SET wal_level = logical) and restart PostgreSQL in an earlier maintenance window — `migrate prepare <plan> --only <workload> [--restart]` does both — or move this database with mode: dump",
    });
  }
  // Capacity the move takes on the source: one slot and one WAL sender (more while copying).
  const capacity = [
    [
      "slots_free",
      "replication-slots",
      "replication slot",
      "max_replication_slots",
      " or drop an unused slot (pg_replication_slots)",
    ],
    ["senders_free", "wal-senders", "WAL sender", "max_wal_senders", ""],
  ] as const;
  for (const [fact, code, what, setting, other] of capacity) {
    if (Number(facts[fact] ?? "0") >= 1) continue;
    findings.push({
      severity: "block",
      code,
      message: `database ${db}: no free ${what} on the source (${setting} is used up)`,
      hint: `raise ${setting} (restart; \`migrate prepare\` does it)${other}`,
    });
  }
  if (keyless.length > 0) {
    findings.push({
      severity: "block",
      code: "no-primary-key",
      message: `database ${db}: ${keyless.length} table(s) have neither a primary key nor a replica identity: ${keyless.join(", ")}; once published, the application's UPDATEs and DELETEs on them would fail`,
      hint: `add a primary key (ALTER TABLE ${keyless[0]} ADD PRIMARY KEY (...)) or set ALTER TABLE ${keyless[0]} REPLICA IDENTITY FULL, or move this database with mode: dump`,
      tables: [...keyless],
    });
  }
  if (Number(facts.large_objects ?? "0") > 0) {
    findings.push({
      severity: "block",
      code: "large-objects",
      message: `database ${db}: it holds ${facts.large_objects} large objects, which logical replication does not carry`,
      hint: "move this database with mode: dump",
    });
  }
  if (targetVersion !== undefined && major(targetVersion) < major(facts.version)) {
    findings.push({
      severity: "block",
      code: "target-version",
      message: `database ${db}: the target runs PostgreSQL ${major(targetVersion)}, older than the source's ${major(facts.version)}`,
      hint: "install a target PostgreSQL of the same or a newer major version",
    });
  }
  if (facts.slot_keep === "-1") {
    findings.push({
      severity: "warn",
      code: "slot-wal-unbounded",
      message: `database ${db}: max_slot_wal_keep_size is unset on the source, so a stalled replication slot could keep WAL until the disk is full`,
      hint: "set max_slot_wal_keep_size (e.g. ALTER SYSTEM SET max_slot_wal_keep_size = '10GB'; select pg_reload_conf()) — no restart needed",
    });
  }
  return findings;
}

export async function postgresPreflight(
  source: Remote,
  target: Remote,
  db: Database,
  signal: AbortSignal,
): Promise<ReplicationFinding[]> {
  const [facts, keyless, targetVersion] = await Promise.all([
    psql(source, db, SOURCE_FACTS, signal).then(parseFacts),
    psql(source, db, TABLES_WITHOUT_KEY, signal),
    psql(target, db, "select current_setting('server_version_num');", signal, { database: "postgres" }),
  ]);
  return postgresFindings(db.name, facts, keyless, targetVersion[0]);
}
