/**
 * `migrate state push`: a plan's file journal moved into the shared state. Idempotent: records
 * the database already holds (the same, in the same order) are not written again, so a push
 * interrupted halfway is finished by running it again. A database journal that disagrees with
 * the file is refused: two histories of one plan are never merged. The workloads' artefacts
 * (manifests, evidence, undo state) go with it, so a runner on any machine can resume them.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Pool } from "pg";
import { UserError } from "../../errors.ts";
import type { JournalRecord } from "../journal/journal-record.ts";
import { stableJson } from "../planning/input-hash.ts";
import { lockPlan } from "./advance.ts";
import { ArtifactMirror } from "./artifact-mirror.ts";
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

/** Store the artefacts of every workload under the plan's state directory `planDir`. */
export async function pushArtifacts(
  pool: Pool,
  plan: string,
  planDir: string,
): Promise<{ files: number; bytes: number }> {
  const total = { files: 0, bytes: 0 };
  const workloads = join(planDir, "workloads");
  let names: string[];
  try {
    names = await readdir(workloads);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return total;
    throw error;
  }
  for (const workload of names.sort()) {
    const mirror = new ArtifactMirror(
      pool,
      { plan, workload },
      { push: "state push" },
      join(workloads, workload),
    );
    await mirror.sync();
    total.files += mirror.figures.uploads;
    total.bytes += mirror.figures.bytesUp;
  }
  return total;
}
