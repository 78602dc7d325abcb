/**
 * The engine's run session, shared by apply and rollback: it opens with run-start (and a
 * recovered lock), hands out what earlier runs left, and closes with run-end — each recorded
 * once, with its event.
 */
import { describe, expect, it } from "vitest";
import { type EngineEvent, emptyCounts } from "../../../../src/engine/events.ts";
import { MemoryJournal } from "../../../../src/engine/journal/journal.ts";
import { openRun } from "../../../../src/engine/running/run-session.ts";
import { OUTPUTS } from "../../../support/step-outputs.ts";
import { makePlan, plannedOf, tempDir } from "../fixtures.ts";

const at = "2026-12-05T14:00:00.000Z";
const operator = { user: "u", host: "h", pid: 1, version: "0.1.0", argv: ["apply"] };

function session(journal = new MemoryJournal()) {
  const plan = makePlan([{ name: "a" }, { name: "b", source: "src-2" }]);
  const events: EngineEvent[] = [];
  const dir = tempDir();
  const opened = openRun({
    plan,
    planFile: "/p/plan.yaml",
    planHash: "ph",
    command: "rollback",
    journal,
    onEvent: (event) => events.push(event),
    signal: new AbortController().signal,
    remote: async () => {
      throw new Error("no hosts");
    },
    workDir: () => dir,
    operator,
    workloads: plan.workloads,
    selected: 1,
    clock: { now: () => new Date(at) },
    recoveredLock: { pid: 9, host: "h", user: "u", startedAt: at, command: "migrate apply" },
  });
  return { plan, journal, events, opened };
}

describe("run session", () => {
  it("opens with run-start and the recovered lock, and finishes with run-end and its reason", async () => {
    const { journal, events, opened } = session();
    const run = await opened;
    await run.finish("failed", emptyCounts(), "host key refused");
    expect(journal.records.map((r) => r.type)).toEqual(["run-start", "lock-recovered", "run-end"]);
    expect(journal.records[0]).toMatchObject({
      runId: run.runId,
      command: "rollback",
      planName: "unit-plan",
      operator,
      workloadHashes: { a: expect.any(String), b: expect.any(String) },
    });
    expect(journal.records[2]).toMatchObject({ status: "failed", reason: "host key refused" });
    expect(events.map((e) => e.type)).toEqual(["run-start", "run-end"]);
    expect(events[0]).toMatchObject({ workloads: 1, plan: "unit-plan" });
    expect(run.context.recorder).toBe(run.recorder);
  });

  it("hands each workload what earlier runs left: still-valid outputs and last checkpoints", async () => {
    const journal = new MemoryJournal([
      {
        v: 1,
        type: "step-finish",
        runId: "r0",
        at,
        workload: "a",
        step: "snapshot",
        key: "a/snapshot",
        inputHash: "h",
        durationMs: 1,
        outputs: OUTPUTS.snapshot,
      },
      {
        v: 1,
        type: "step-start",
        runId: "r0",
        at,
        workload: "a",
        step: "transfer",
        key: "a/transfer",
        attempt: 1,
        inputHash: "h",
      },
      {
        v: 1,
        type: "step-checkpoint",
        runId: "r0",
        at,
        workload: "a",
        step: "transfer",
        key: "a/transfer",
        data: { digest: "d", verified: [3] },
      },
    ]);
    const { plan, opened } = session(journal);
    const run = await opened;
    const memory = run.memoryOf(plannedOf(plan, plan.workloads[0]!.name));
    expect(memory.outputs).toEqual({ snapshot: OUTPUTS.snapshot });
    expect(memory.checkpoints).toEqual({ transfer: { digest: "d", verified: [3] } });
    expect(memory.inputHash).toBe(journal.records.find((r) => r.type === "run-start")?.workloadHashes.a);
    expect(run.memoryOf(plannedOf(plan, plan.workloads[1]!.name)).outputs).toEqual({});
  });
});
