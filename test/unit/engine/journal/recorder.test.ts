/**
 * The recorder: each fact becomes exactly one journal record, and the event derived from that
 * record is emitted once the record is durable — so the journal and what the operator sees
 * cannot disagree.
 */
import { describe, expect, it } from "vitest";
import { type EngineEvent, emptyCounts } from "../../../../src/engine/events.ts";
import { type Journal, MemoryJournal } from "../../../../src/engine/journal/journal.ts";
import { JournalRecord } from "../../../../src/engine/journal/journal-record.ts";
import { createRecorder, type Fact } from "../../../../src/engine/journal/recorder.ts";
import { OUTPUTS } from "../../../support/step-outputs.ts";

const at = "2026-12-05T14:00:00.000Z";
const clock = { now: () => new Date(at) };
const step = { workload: "a", key: "a/transfer", step: "transfer" as const };
const error = { kind: "remote", message: "reset", retryable: true, host: "tgt-1", command: "tar" };
const counts = { ...emptyCounts(), succeeded: 1 };
const workloadEnd = {
  type: "workload-end",
  workload: "a",
  status: "succeeded",
  downtimeMs: 90_000,
  downtimeBudgetMs: 60_000,
  budgetExceeded: true,
  reason: "over budget",
} as const;

/** Each fact, and the event it stands for (undefined: the journal alone keeps it). */
const CASES: [string, Fact, EngineEvent | undefined][] = [
  [
    "run-start",
    {
      type: "run-start",
      planFile: "/p/plan.yaml",
      planName: "p",
      planHash: "ph",
      workloadHashes: { a: "h" },
      command: "apply",
      operator: { user: "u", host: "h", pid: 1, version: "0.1.0", argv: [] },
      workloads: 3,
    },
    { type: "run-start", runId: "r1", plan: "p", planHash: "ph", workloads: 3, at },
  ],
  [
    "lock-recovered",
    {
      type: "lock-recovered",
      previous: { pid: 9, host: "h", user: "u", startedAt: at, command: "migrate apply" },
    },
    undefined,
  ],
  [
    "step-start",
    { ...step, type: "step-start", attempt: 2, inputHash: "h" },
    { type: "step-start", workload: "a", step: "transfer", attempt: 2, at },
  ],
  ["step-checkpoint", { ...step, type: "step-checkpoint", data: { digest: "d", verified: [1] } }, undefined],
  [
    "step-finish",
    { ...step, type: "step-finish", inputHash: "h", durationMs: 7, outputs: OUTPUTS.transfer },
    { type: "step-end", workload: "a", step: "transfer", durationMs: 7, outputs: OUTPUTS.transfer, at },
  ],
  [
    "step-fail",
    { ...step, type: "step-fail", attempt: 1, error, willRetry: true },
    {
      type: "step-fail",
      workload: "a",
      step: "transfer",
      kind: "remote",
      message: "reset",
      retryable: true,
      attempt: 1,
      willRetry: true,
      at,
    },
  ],
  ["step-interrupted", { ...step, type: "step-interrupted" }, undefined],
  [
    "rollback step-start (its own rollback-start/-end events say it)",
    { workload: "a", key: "a/rollback", step: "rollback", type: "step-start", attempt: 1, inputHash: "h" },
    undefined,
  ],
  [
    "rollback step-finish",
    {
      workload: "a",
      key: "a/rollback",
      step: "rollback",
      type: "step-finish",
      inputHash: "h",
      durationMs: 3,
      outputs: OUTPUTS.rollback,
    },
    undefined,
  ],
  // The event says all the record says, the downtime budget too.
  ["workload-end, with the downtime budget the record keeps", workloadEnd, { ...workloadEnd, at }],
  [
    "run-end",
    { type: "run-end", status: "failed", reason: "host key refused", counts },
    { type: "run-end", runId: "r1", status: "failed", counts, at },
  ],
];

describe("record(fact)", () => {
  for (const [name, fact, event] of CASES) {
    it(`${name}: one valid record${event ? " and its event" : ", no event"}`, async () => {
      const journal = new MemoryJournal();
      const events: EngineEvent[] = [];
      await createRecorder(journal, (e) => events.push(e), "r1", clock).record(fact);
      expect(journal.records).toHaveLength(1);
      const record = journal.records[0];
      // What was written reads back: the record is whole, without the event-only fields.
      expect(JournalRecord.parse(record)).toEqual(record);
      expect(record).toMatchObject({ v: 1, runId: "r1", at, type: fact.type });
      expect(record).not.toHaveProperty("workloads");
      expect(record).not.toHaveProperty("counts");
      expect(events).toEqual(event ? [event] : []);
    });
  }

  it("emits the event only once the record is durable", async () => {
    let durable: () => void = () => {};
    const records: unknown[] = [];
    const slow: Journal = {
      records: [],
      append: (record) => {
        records.push(record);
        return new Promise((resolve) => {
          durable = resolve;
        });
      },
      close: async () => {},
    };
    const events: EngineEvent[] = [];
    const recorded = createRecorder(slow, (e) => events.push(e), "r1", clock).record(CASES[2]![1]);
    expect(records).toHaveLength(1);
    await Promise.resolve();
    expect(events).toEqual([]);
    durable();
    await recorded;
    expect(events.map((e) => e.type)).toEqual(["step-start"]);
  });

  it("keeps a fact's own time, and stamps the clock's otherwise", async () => {
    const journal = new MemoryJournal();
    const recorder = createRecorder(journal, () => {}, "r1", clock);
    await recorder.record({ ...step, type: "step-interrupted", at: "2026-12-05T13:00:00.000Z" });
    await recorder.record({ ...step, type: "step-interrupted" });
    expect(journal.records.map((r) => r.at)).toEqual(["2026-12-05T13:00:00.000Z", at]);
  });
});
