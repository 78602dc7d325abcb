/**
 * The shared state's tables, created and migrated by `migrate` itself. Each migration runs once,
 * in order, in one transaction with its `schema_version` row; an advisory lock keeps two
 * processes that start at once from migrating together.
 */
import type { Pool } from "pg";
import { UserError } from "../../errors.ts";

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE journal (
     seq bigserial PRIMARY KEY,
     plan text NOT NULL,
     run_id text NOT NULL,
     workload text,
     runner text,
     generation bigint,
     record jsonb NOT NULL,
     written_at timestamptz NOT NULL DEFAULT clock_timestamp());
   CREATE INDEX journal_plan_seq ON journal (plan, seq);
   CREATE TABLE runs (
     run_id text PRIMARY KEY,
     plan text NOT NULL,
     plan_file text NOT NULL,
     plan_text text NOT NULL,
     plan_hash text NOT NULL,
     state text NOT NULL,
     cancel boolean NOT NULL DEFAULT false,
     holder jsonb NOT NULL,
     settings jsonb NOT NULL,
     started_at timestamptz NOT NULL DEFAULT now(),
     ended_at timestamptz);
   -- One apply per plan at a time, held by the database itself.
   CREATE UNIQUE INDEX runs_one_active ON runs (plan) WHERE state = 'running';
   CREATE TABLE work (
     run_id text NOT NULL REFERENCES runs,
     plan text NOT NULL,
     workload text NOT NULL,
     wave int NOT NULL,
     host text NOT NULL,
     tenant text NOT NULL,
     depends_on text[] NOT NULL,
     state text NOT NULL,
     status text,
     runner text,
     generation bigint NOT NULL DEFAULT 0,
     lease_until timestamptz,
     PRIMARY KEY (run_id, workload));
   CREATE INDEX work_leases ON work (state, lease_until);`,
  // The plan's bandwidth budget shared by every runner: one token-bucket timeline per plan.
  `CREATE TABLE budgets (
     plan text PRIMARY KEY,
     paid_until timestamptz NOT NULL DEFAULT clock_timestamp());`,
  // Runners' run-log lines (already scrubbed NDJSON, as in a local log.ndjson), per run and workload.
  `CREATE TABLE log_lines (
     id bigserial PRIMARY KEY,
     plan text NOT NULL,
     run_id text NOT NULL,
     workload text NOT NULL,
     runner text NOT NULL,
     line text NOT NULL);
   CREATE INDEX log_lines_run ON log_lines (plan, run_id, id);
   -- The workload's network zone, for runners that serve one zone (\`runner --zone\`).
   ALTER TABLE work ADD COLUMN zone text NOT NULL DEFAULT '';
   -- A desk's rollback holds a lease too; runners never take such a row over.
   ALTER TABLE work ADD COLUMN kind text NOT NULL DEFAULT 'apply';`,
  // Per-workload artefacts (manifests, target evidence, undo state) a runner on another machine
  // needs to resume: one head row per file, its bytes in chunk rows so no file is ever one value.
  `CREATE TABLE artifacts (
     plan text NOT NULL,
     workload text NOT NULL,
     name text NOT NULL,
     digest text NOT NULL,
     bytes bigint NOT NULL,
     chunks int NOT NULL,
     runner text NOT NULL,
     generation bigint NOT NULL,
     written_at timestamptz NOT NULL DEFAULT clock_timestamp(),
     PRIMARY KEY (plan, workload, name));
   CREATE TABLE artifact_chunks (
     plan text NOT NULL,
     workload text NOT NULL,
     name text NOT NULL,
     n int NOT NULL,
     data bytea NOT NULL,
     PRIMARY KEY (plan, workload, name, n));`,
  // Byte progress of the step a runner is running, one row per run and workload, rewritten at
  // most once a second: what the live view and status show between journal records.
  `CREATE TABLE progress (
     run_id text NOT NULL,
     workload text NOT NULL,
     plan text NOT NULL,
     step text NOT NULL,
     progress jsonb NOT NULL,
     version bigint NOT NULL DEFAULT 1,
     updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
     PRIMARY KEY (run_id, workload));`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Bring the schema to this version; refuse a database a newer migrate already migrated. */
export async function migrateSchema(pool: Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext('migrate-schema'))");
    await client.query(
      "CREATE TABLE IF NOT EXISTS schema_version (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const { rows } = await client.query<{ v: number | null }>("SELECT max(version) AS v FROM schema_version");
    const current = rows[0]?.v ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new UserError(
        "journal",
        `the state database has schema version ${current}; this migrate knows ${SCHEMA_VERSION}`,
        {
          hint: "upgrade migrate on this machine to the version the other desks use",
        },
      );
    }
    for (let version = current + 1; version <= SCHEMA_VERSION; version++) {
      await client.query(MIGRATIONS[version - 1] as string);
      await client.query("INSERT INTO schema_version (version) VALUES ($1)", [version]);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
