/**
 * Runs in the shared state: one apply per plan at a time (a unique index on the running run, so
 * two operators starting at once cannot both win), its workloads as `work` rows, and cancel.
 */

import type { Pool, PoolClient } from "pg";
import type PgBoss from "pg-boss";
import { UserError } from "../../errors.ts";
import type { JournalRecord } from "../journal/journal-record.ts";
import type { LockHolder } from "../journal/lock.ts";
import { describeHolder } from "../journal/lock.ts";
import { inPlanTransaction, insertRecord, type RunSettings } from "./advance.ts";
import { ensureQueues } from "./work-queue.ts";

export interface RunWork {
  workload: string;
  wave: number;
  host: string;
  /** The workload's network zone (`runner --zone`). */
  zone: string;
  tenant: string;
  /** Dependencies inside this run (the caller settled the others). */
  dependsOn: string[];
}

export interface NewRun {
  runId: string;
  plan: string;
  planFile: string;
  planText: string;
  planHash: string;
  holder: LockHolder;
  settings: RunSettings;
  work: readonly RunWork[];
  /** run-start, and anything the operator settled before the runners start (skips). */
  records: readonly JournalRecord[];
}

export interface ActiveRun {
  runId: string;
  holder: LockHolder;
  cancel: boolean;
}

export async function activeRun(pool: Pool | PoolClient, plan: string): Promise<ActiveRun | undefined> {
  const { rows } = await pool.query<{ run_id: string; holder: LockHolder; cancel: boolean }>(
    "SELECT run_id, holder, cancel FROM runs WHERE plan = $1 AND state = 'running'",
    [plan],
  );
  const row = rows[0];
  return row && { runId: row.run_id, holder: row.holder, cancel: row.cancel };
}

function lockedError(plan: string, active: ActiveRun | undefined): UserError {
  const who = active ? `run ${active.runId} started by ${describeHolder(active.holder)}` : "another apply";
  return new UserError("locked", `plan ${plan} is being applied in the shared state by ${who}`, {
    hint: `follow it with \`migrate status --state …\`, or stop it with \`migrate cancel\` first`,
  });
}

/** Record run-start, create the work rows and queue what is ready; refuse a second apply. */
export async function startRun(pool: Pool, boss: PgBoss, run: NewRun): Promise<void> {
  await ensureQueues(pool, boss, run.work);
  try {
    await inPlanTransaction(pool, boss, run.plan, run.runId, async (client) => {
      await client.query(
        `INSERT INTO runs (run_id, plan, plan_file, plan_text, plan_hash, state, holder, settings)
         VALUES ($1, $2, $3, $4, $5, 'running', $6, $7)`,
        [run.runId, run.plan, run.planFile, run.planText, run.planHash, run.holder, run.settings],
      );
      for (const record of run.records) await insertRecord(client, run.plan, record);
      for (const item of run.work) {
        await client.query(
          `INSERT INTO work (run_id, plan, workload, wave, host, zone, tenant, depends_on, state)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending')`,
          [run.runId, run.plan, item.workload, item.wave, item.host, item.zone, item.tenant, item.dependsOn],
        );
      }
    });
  } catch (error) {
    if ((error as { code?: string }).code === "23505")
      throw lockedError(run.plan, await activeRun(pool, run.plan));
    throw error;
  }
}

/** Refuse before anything is written when a run of this plan is going on. */
export async function refuseActive(pool: Pool | PoolClient, plan: string): Promise<void> {
  const active = await activeRun(pool, plan);
  if (active) throw lockedError(plan, active);
}

export interface StoredRun {
  runId: string;
  plan: string;
  planFile: string;
  planText: string;
  planHash: string;
  settings: RunSettings;
}

export async function storedRun(pool: Pool, runId: string): Promise<StoredRun | undefined> {
  const { rows } = await pool.query<{
    plan: string;
    plan_file: string;
    plan_text: string;
    plan_hash: string;
    settings: RunSettings;
  }>("SELECT plan, plan_file, plan_text, plan_hash, settings FROM runs WHERE run_id = $1", [runId]);
  const row = rows[0];
  return (
    row && {
      runId,
      plan: row.plan,
      planFile: row.plan_file,
      planText: row.plan_text,
      planHash: row.plan_hash,
      settings: row.settings,
    }
  );
}

/**
 * Cancel the plan's running run: nothing new starts, runners stop at their next heartbeat, and
 * the run ends interrupted once they have. Returns the run id, or undefined when none runs.
 */
export async function cancelRun(pool: Pool, boss: PgBoss, plan: string): Promise<string | undefined> {
  const active = await activeRun(pool, plan);
  if (!active) return undefined;
  await inPlanTransaction(pool, boss, plan, active.runId, async (client) => {
    await client.query("UPDATE runs SET cancel = true WHERE run_id = $1", [active.runId]);
  });
  return active.runId;
}
