/**
 * Byte progress in the shared state. Progress is not a fact (it is not journaled, as locally):
 * a runner keeps only the latest reading of each workload it holds in one `progress` row,
 * rewritten at most once a second, and only while its lease holds; followers (the operator's
 * apply, status) read the rows of a run and show those of the step that is running.
 */
import type { Pool } from "pg";
import type { StepName } from "../../steps/names.ts";
import type { Progress } from "../../transfer/types.ts";
import type { EngineEvent } from "../events.ts";
import type { Lease } from "./leases.ts";

type ProgressEvent = Extract<EngineEvent, { type: "step-progress" }>;

/** One workload's latest reading; `version` goes up with every write. */
export interface ProgressRow {
  workload: string;
  step: StepName;
  version: number;
  event: ProgressEvent;
}

const EVERY_MS = 1000;

/** The writer for one lease: `onEvent` takes every event, writes the latest progress in time. */
export class SharedProgress {
  private latest: ProgressEvent | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastWrite = Number.NEGATIVE_INFINITY;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: Pool,
    private readonly lease: Lease,
    private readonly everyMs = EVERY_MS,
  ) {}

  onEvent(event: EngineEvent): void {
    if (event.type !== "step-progress" || event.workload !== this.lease.workload) return;
    this.latest = event;
    if (this.timer) return;
    this.timer = setTimeout(() => this.write(), Math.max(0, this.lastWrite + this.everyMs - Date.now()));
  }

  /** Write what is pending and wait for it. */
  async close(): Promise<void> {
    this.write();
    await this.writing;
  }

  private write(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const event = this.latest;
    if (!event) return;
    this.latest = undefined;
    this.lastWrite = Date.now();
    // Progress is advisory: a failed write is dropped and the next reading tried a second later.
    this.writing = this.writing.then(() => upsert(this.pool, this.lease, event)).catch(() => undefined);
  }
}

async function upsert(pool: Pool, lease: Lease, event: ProgressEvent): Promise<void> {
  const { type: _type, workload: _workload, step, ...reading } = event;
  await pool.query(
    `INSERT INTO progress (run_id, workload, plan, step, progress)
     SELECT $1, $2, $3, $4, $5
     WHERE EXISTS (SELECT 1 FROM work WHERE run_id = $1 AND workload = $2 AND runner = $6
                     AND generation = $7 AND state = 'running')
     ON CONFLICT (run_id, workload) DO UPDATE
       SET step = EXCLUDED.step, progress = EXCLUDED.progress, version = progress.version + 1,
           updated_at = clock_timestamp()`,
    [lease.runId, lease.workload, lease.plan, step, reading, lease.runner, lease.generation],
  );
}

/** The latest reading of every workload of a run. */
export async function readProgress(pool: Pool, runId: string): Promise<ProgressRow[]> {
  const { rows } = await pool.query<{
    workload: string;
    step: StepName;
    version: string;
    progress: Progress & { at: string };
  }>("SELECT workload, step, version, progress FROM progress WHERE run_id = $1", [runId]);
  return rows.map((row) => ({
    workload: row.workload,
    step: row.step,
    version: Number(row.version),
    event: { type: "step-progress", workload: row.workload, step: row.step, ...row.progress },
  }));
}
