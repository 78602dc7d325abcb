/**
 * `migrate state push`: a plan's file journal moved into the shared state. Idempotent: records
 * the database already holds (the same, in the same order) are not written again, so a push
 * interrupted halfway is finished by running it again. A database journal that disagrees with
 * the file is refused: two histories of one plan are never merged.
 */
import type { Pool } from "pg";
import { UserError } from "../../errors.ts";
import type { JournalRecord } from "../journal/journal-record.ts";
import { stableJson } from "../planning/input-hash.ts";
import { lockPlan } from "./advance.ts";
import { readRecords } from "./pg-journal.ts";
import { refuseActive } from "./runs.ts";

export interface PushResult {
  pushed: number;
  already: number;
}

export async function pushJournal(
  pool: Pool,
  plan: string,
  records: readonly JournalRecord[],
): Promise<PushResult> {
  await refuseActive(pool, plan);
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await lockPlan(client, plan);
    const { records: stored } = await readRecords(pool, plan);
    for (const [index, record] of stored.entries()) {
      const mine = records[index];
      if (!mine || stableJson(mine) !== stableJson(record)) {
        throw new UserError(
          "locked",
          `the shared state already holds a different journal for plan ${plan} (record ${index + 1} differs)`,
          {
            hint: "push each plan's journal once, from the desk that ran it; the shared state is then the only journal",
          },
        );
      }
    }
    for (const record of records.slice(stored.length)) {
      await client.query("INSERT INTO journal (plan, run_id, workload, record) VALUES ($1, $2, $3, $4)", [
        plan,
        record.runId,
        "workload" in record ? record.workload : null,
        record,
      ]);
    }
    await client.query("COMMIT");
    return { pushed: records.length - stored.length, already: stored.length };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
