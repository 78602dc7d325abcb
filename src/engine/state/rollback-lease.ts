/**
 * A rollback against the shared state takes the workload's lease, as a runner would: in one
 * transaction holding the plan's lock it refuses a workload a runner holds (naming it) and a
 * plan with a run going on, reads the journal and lets the caller refuse (nothing to roll back),
 * then records its own run with one work row leased to this desk. Its journal records are fenced
 * by that lease; `kind = 'rollback'` keeps runners from taking the row over if this desk dies
 * (the next rollback of the plan ends such a run). The same checks run alone first
 * (`checkRollbackLease`), so the desk refuses before its confirmation prompt and takes the lease
 * only once the operator has said yes.
 */
import type { Pool, PoolClient } from "pg";
import { UserError } from "../../errors.ts";
import { checkRecord } from "../journal/journal-read.ts";
import type { JournalRecord } from "../journal/journal-record.ts";
import { RECORD_VERSION } from "../journal/journal-record.ts";
import { insertRecord, lockPlan } from "./advance.ts";
import type { Lease } from "./leases.ts";
import { type NewRun, refuseActive } from "./runs.ts";

export interface RollbackLeaseSpec
  extends Pick<NewRun, "runId" | "plan" | "planFile" | "planText" | "planHash" | "holder"> {
  workload: { name: string; wave: number; host: string; zone: string; tenant: string };
  runner: string;
  ttlMs: number;
}

/**
 * The lease's checks alone, before the operator is asked: the same transaction as taking it,
 * rolled back, so a refusal comes before the prompt and nothing is written either way.
 */
export async function checkRollbackLease(
  pool: Pool,
  spec: Pick<RollbackLeaseSpec, "plan" | "workload">,
  check: (records: JournalRecord[]) => void,
): Promise<void> {
  await inLeaseTransaction(pool, spec, check, async () => false);
}

/** Take the lease, or throw; `check` sees the journal before anything is written. */
export async function takeRollbackLease(
  pool: Pool,
  spec: RollbackLeaseSpec,
  check: (records: JournalRecord[]) => void,
): Promise<{ lease: Lease; records: JournalRecord[] }> {
  const records = await inLeaseTransaction(pool, spec, check, async (client) => {
    await client.query(
      `INSERT INTO runs (run_id, plan, plan_file, plan_text, plan_hash, state, holder, settings)
       VALUES ($1, $2, $3, $4, $5, 'running', $6, $7)`,
      [
        spec.runId,
        spec.plan,
        spec.planFile,
        spec.planText,
        spec.planHash,
        spec.holder,
        { concurrency: 1, perHost: 1, perTenant: 1, ignoreWindow: true },
      ],
    );
    const { workload } = spec;
    await client.query(
      `INSERT INTO work (run_id, plan, workload, wave, host, zone, tenant, depends_on, state, runner,
                         generation, lease_until, kind)
       VALUES ($1, $2, $3, $4, $5, $6, $7, '{}', 'running', $8, 1, now() + make_interval(secs => $9), 'rollback')`,
      [
        spec.runId,
        spec.plan,
        workload.name,
        workload.wave,
        workload.host,
        workload.zone,
        workload.tenant,
        spec.runner,
        spec.ttlMs / 1000,
      ],
    );
    return true;
  });
  return {
    lease: {
      runId: spec.runId,
      plan: spec.plan,
      workload: spec.workload.name,
      runner: spec.runner,
      generation: 1,
    },
    records,
  };
}

/**
 * Under the plan's lock: refuse a held workload or a running run, read the journal and let the
 * caller refuse, then `write` and commit when it says so (else roll back: nothing written).
 */
async function inLeaseTransaction(
  pool: Pool,
  spec: Pick<RollbackLeaseSpec, "plan" | "workload">,
  check: (records: JournalRecord[]) => void,
  write: (client: PoolClient) => Promise<boolean>,
): Promise<JournalRecord[]> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await lockPlan(client, spec.plan);
    await refuseHeld(client, spec.plan, spec.workload.name);
    await endAbandonedRollbacks(client, spec.plan);
    await refuseActive(client, spec.plan);
    const { rows } = await client.query<{ seq: string; record: unknown }>(
      "SELECT seq, record FROM journal WHERE plan = $1 ORDER BY seq",
      [spec.plan],
    );
    const records = rows.map((row) => checkRecord(row.record, `journal row ${row.seq} of plan ${spec.plan}`));
    check(records);
    await client.query((await write(client)) ? "COMMIT" : "ROLLBACK");
    return records;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function refuseHeld(client: PoolClient, plan: string, workload: string): Promise<void> {
  const { rows } = await client.query<{ run_id: string; runner: string; lease_until: Date }>(
    `SELECT run_id, runner, lease_until FROM work
     WHERE plan = $1 AND workload = $2 AND state = 'running' AND lease_until > now()`,
    [plan, workload],
  );
  const held = rows[0];
  if (!held) return;
  throw new UserError(
    "locked",
    `${workload} is held by runner ${held.runner} (run ${held.run_id}, lease until ${held.lease_until.toISOString()}); a rollback now would race it`,
    {
      hint: "wait until the runner has finished the workload, or stop the run with `migrate cancel`, then roll back",
    },
  );
}

/** A rollback whose desk died leaves its run open with an expired lease: end it interrupted. */
async function endAbandonedRollbacks(client: PoolClient, plan: string): Promise<void> {
  const { rows } = await client.query<{ run_id: string; workload: string }>(
    `UPDATE work SET state = 'done', status = 'interrupted', lease_until = NULL
     WHERE plan = $1 AND kind = 'rollback' AND state = 'running' AND lease_until < now()
     RETURNING run_id, workload`,
    [plan],
  );
  const at = new Date().toISOString();
  for (const row of rows) {
    const base = { v: RECORD_VERSION, runId: row.run_id, at } as const;
    const reason = "the rollback's desk stopped renewing its lease";
    await insertRecord(client, plan, {
      ...base,
      type: "workload-end",
      workload: row.workload,
      status: "interrupted",
      reason,
    });
    await insertRecord(client, plan, { ...base, type: "run-end", status: "interrupted" });
    await client.query("UPDATE runs SET state = 'finished', ended_at = now() WHERE run_id = $1", [
      row.run_id,
    ]);
  }
}

/** The rollback ended (or failed before its first record): its lease and run end with it. */
export async function endRollback(pool: Pool, lease: Lease, status: string): Promise<void> {
  await pool.query(
    `UPDATE work SET state = 'done', status = $3, lease_until = NULL
     WHERE run_id = $1 AND workload = $2 AND generation = $4 AND state = 'running'`,
    [lease.runId, lease.workload, status, lease.generation],
  );
  await pool.query("UPDATE runs SET state = 'finished', ended_at = now() WHERE run_id = $1", [lease.runId]);
}
