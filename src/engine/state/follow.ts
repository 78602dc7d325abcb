/**
 * Following a run in the shared state from any desk: poll the journal for new records and turn
 * each into the event the recorder would have emitted, so the live view and NDJSON stream look
 * as they do for a local apply. Stops at the run's run-end, or when the operator detaches.
 */
import { emptyCounts, type OnEvent, type WorkloadStatus } from "../events.ts";
import type { JournalRecord } from "../journal/journal-record.ts";
import { eventOf, type Fact } from "../journal/recorder.ts";
import { sleep } from "../running/retry.ts";
import { readRecords } from "./pg-journal.ts";
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
  let seq = options.afterSeq;
  while (true) {
    const page = await readRecords(db.pool, options.plan, seq);
    seq = page.lastSeq;
    for (const record of page.records) {
      if (record.runId !== options.runId) continue;
      if (record.type === "workload-end") outcomes.set(record.workload, record.status);
      const event = eventOf(record, factOf(record, outcomes, options.selected));
      if (event) options.onEvent(event);
      if (record.type === "run-end") return { status: record.status, outcomes };
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
