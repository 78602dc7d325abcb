/**
 * Following a run in the shared state from any desk: poll the journal for new records and turn
 * each into the event the recorder would have emitted, and the runners' byte progress of the
 * steps running into step-progress events, so the live view and NDJSON stream look as they do
 * for a local apply. Stops at the run's run-end, or when the operator detaches.
 */
import { emptyCounts, type OnEvent, type WorkloadStatus } from "../events.ts";
import type { JournalRecord } from "../journal/journal-record.ts";
import { eventOf, type Fact } from "../journal/recorder.ts";
import { sleep } from "../running/retry.ts";
import { readRecords } from "./pg-journal.ts";
import { readProgress } from "./shared-progress.ts";
import type { StateDb } from "./state-db.ts";

export interface FollowResult {
  /** undefined when the operator detached before the run ended. */
  status: "succeeded" | "failed" | "interrupted" | undefined;
  outcomes: Map<string, WorkloadStatus>;
}

export async function followRun(
  db: StateDb,
  options: {
    plan: string;
    runId: string;
    afterSeq: number;
    selected: number;
    /** Selected workloads that finished in earlier runs, counted as a local apply counts them. */
    prior: readonly string[];
    onEvent: OnEvent;
    signal: AbortSignal;
    pollMs?: number;
  },
): Promise<FollowResult> {
  const outcomes = new Map<string, WorkloadStatus>(options.prior.map((name) => [name, "succeeded"]));
  const steps = new RunningSteps();
  const shown = new Map<string, number>();
  let seq = options.afterSeq;
  while (true) {
    const page = await readRecords(db.pool, options.plan, seq);
    seq = page.lastSeq;
    for (const record of page.records) {
      if (record.runId !== options.runId) continue;
      if (record.type === "workload-end") outcomes.set(record.workload, record.status);
      steps.fold(record);
      const event = eventOf(record, factOf(record, outcomes, options.selected));
      if (event) options.onEvent(event);
      if (record.type === "run-end") return { status: record.status, outcomes };
    }
    // Read after the journal: a reading of a step whose end was just folded is not shown.
    for (const row of await readProgress(db.pool, options.runId)) {
      if (!steps.isRunning(row.workload, row.step) || (shown.get(row.workload) ?? 0) >= row.version) continue;
      shown.set(row.workload, row.version);
      options.onEvent(row.event);
    }
    if (options.signal.aborted) return { status: undefined, outcomes };
    await sleep(options.pollMs ?? 250, options.signal).catch(() => undefined);
  }
}

/** The event-only fields a record's fact carried: the selection size and the final counts. */
function factOf(record: JournalRecord, outcomes: Map<string, WorkloadStatus>, selected: number): Fact {
  if (record.type === "run-start") return { ...record, workloads: selected } as Fact;
  if (record.type !== "run-end") return record as Fact;
  const counts = emptyCounts();
  for (const status of outcomes.values()) counts[status]++;
  return { ...record, counts } as Fact;
}

/** Which step each workload of the run is in, from the journal records followed so far. */
class RunningSteps {
  private readonly steps = new Map<string, string>();

  fold(record: JournalRecord): void {
    if (record.type === "step-start") this.steps.set(record.workload, record.step);
    else if (
      record.type === "step-finish" ||
      record.type === "step-fail" ||
      record.type === "step-interrupted" ||
      record.type === "workload-end"
    )
      this.steps.delete(record.workload);
  }

  isRunning(workload: string, step: string): boolean {
    return this.steps.get(workload) === step;
  }
}
