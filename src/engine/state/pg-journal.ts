/**
 * The journal seam on PostgreSQL: one row per record, in `seq` order per plan. `append` resolves
 * once the INSERT committed. A runner's journal carries a fence (its lease generation): the
 * INSERT checks the lease in the same statement, holding the lease row (FOR SHARE) until it
 * commits, so a runner whose lease was taken over can never write again, however late it wakes.
 */
import type { Pool } from "pg";
import { UserError } from "../../errors.ts";
import type { Journal } from "../journal/journal.ts";
import { checkRecord } from "../journal/journal-read.ts";
import type { JournalRecord } from "../journal/journal-record.ts";

export interface Fence {
  runId: string;
  workload: string;
  runner: string;
  generation: number;
}

/** A write refused because this runner's lease was taken over: it must stop at once. */
export class LeaseLostError extends UserError {
  constructor(fence: Fence) {
    super(
      "locked",
      `runner ${fence.runner} lost its lease on ${fence.workload} (generation ${fence.generation}); another runner took over`,
      { hint: "nothing to do: the workload continues on the runner that holds the lease now" },
    );
  }
}

export interface JournalPage {
  records: JournalRecord[];
  lastSeq: number;
}

/** Records of a plan after `afterSeq` (all of them by default), in journal order. */
export async function readRecords(pool: Pool, plan: string, afterSeq = 0): Promise<JournalPage> {
  const { rows } = await pool.query<{ seq: string; record: unknown }>(
    "SELECT seq, record FROM journal WHERE plan = $1 AND seq > $2 ORDER BY seq",
    [plan, afterSeq],
  );
  const last = rows.at(-1);
  // Checked as the file journal's records are: a row changed by hand is named, not folded.
  const records = rows.map((row) => checkRecord(row.record, `journal row ${row.seq} of plan ${plan}`));
  return { records, lastSeq: last ? Number(last.seq) : afterSeq };
}

export class PgJournal implements Journal {
  readonly records: JournalRecord[];
  readonly #pool: Pool;
  readonly #plan: string;
  readonly #fence: Fence | undefined;

  private constructor(pool: Pool, plan: string, records: JournalRecord[], fence: Fence | undefined) {
    this.#pool = pool;
    this.#plan = plan;
    this.records = records;
    this.#fence = fence;
  }

  /** The plan's journal with every record read, for an operator's command. */
  static async open(pool: Pool, plan: string): Promise<PgJournal> {
    const { records } = await readRecords(pool, plan);
    return new PgJournal(pool, plan, records, undefined);
  }

  /** A writer under a lease; `records` are those the holder already read (a runner folds its own). */
  static fenced(pool: Pool, plan: string, fence: Fence, records: JournalRecord[] = []): PgJournal {
    return new PgJournal(pool, plan, records, fence);
  }

  async append(record: JournalRecord): Promise<void> {
    const workload = "workload" in record ? record.workload : null;
    const fence = this.#fence;
    if (!fence) {
      await this.#pool.query("INSERT INTO journal (plan, run_id, workload, record) VALUES ($1, $2, $3, $4)", [
        this.#plan,
        record.runId,
        workload,
        record,
      ]);
    } else {
      const result = await this.#pool.query(
        `INSERT INTO journal (plan, run_id, workload, runner, generation, record)
         SELECT $1, $2, $3, $4, $5, $6
         WHERE EXISTS (SELECT 1 FROM work WHERE run_id = $2 AND workload = $7 AND runner = $4
                       AND generation = $5 AND state = 'running' FOR SHARE)`,
        [this.#plan, record.runId, workload, fence.runner, fence.generation, record, fence.workload],
      );
      if (result.rowCount !== 1) throw new LeaseLostError(fence);
    }
    this.records.push(record);
  }

  async close(): Promise<void> {}
}
