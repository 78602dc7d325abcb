/**
 * Issue 11 item 4 in the engine: a run killed mid-cutover and resumed after the maintenance
 * window closed. The engine asks the cutover step how far it got (from its journaled
 * checkpoint): frozen but never switched → deferred (the cutover's undo runs, the source serves
 * again); switched → finished and verified. The kill is simulated by cutting the journal right
 * after the checkpoint, which is all a SIGKILL leaves behind.
 */
import { describe, expect, it } from "vitest";
import { MemoryJournal } from "../../../../src/engine/journal/journal.ts";
import { applyPlan } from "../../../../src/engine/running/apply.ts";
import { cutoverProgress } from "../../../../src/steps/cutover.ts";
import type { CutoverPhase } from "../../../../src/steps/cutover-checkpoint.ts";
import { applyOptions, makePlan, RecordingSteps } from "../fixtures.ts";

const closed = { start: "2020-01-01T22:00+08:00", end: "2020-01-02T04:00+08:00" };

/** The journal of a run killed right after the cutover checkpointed `phase`. */
async function killedAt(phase: CutoverPhase) {
  const plan = makePlan([{ name: "a", window: closed }]);
  const steps = new RecordingSteps();
  steps.behave = async (context, step) => {
    if (step !== "cutover") return {};
    await context.checkpoint({ phase, frozenAt: "2020-01-01T23:00:00.000Z" });
    throw new Error("killed");
  };
  const first = applyOptions(plan, steps, { ignoreWindow: true });
  await applyPlan(first.options);
  const records = first.journal.records;
  const cut = records.findIndex((r) => r.type === "step-checkpoint" && r.key === "a/cutover");
  return { plan, journal: new MemoryJournal(records.slice(0, cut + 1)) };
}

function resumedSteps(): RecordingSteps {
  const steps = new RecordingSteps();
  steps.behave = async (_context, step) =>
    step === "cutover" ? { frozenAt: "2020-01-01T23:00:00.000Z" } : {};
  return steps;
}

describe("resume after the window closed", () => {
  it("defers a cutover that froze the source but never switched", async () => {
    const { plan, journal } = await killedAt("restored");
    const steps = resumedSteps();
    const options = applyOptions(plan, steps, { journal }).options;
    options.steps = { ...options.steps, cutover: { ...options.steps.cutover, progressOf: cutoverProgress } };
    const result = await applyPlan(options);
    expect(result.outcomes.get("a")).toBe("rolled-back");
    expect(steps.calls).toEqual([]);
    expect(steps.undos).toEqual(["a"]);
    const end = journal.records.filter((r) => r.type === "workload-end").at(-1);
    expect(end?.type === "workload-end" && end.reason).toMatch(
      /^cutover deferred: the maintenance window .* has closed .* source's services were started again/,
    );
  });

  it("finishes a cutover whose switch was already sent", async () => {
    const { plan, journal } = await killedAt("switching");
    const steps = resumedSteps();
    const options = applyOptions(plan, steps, { journal }).options;
    options.steps = { ...options.steps, cutover: { ...options.steps.cutover, progressOf: cutoverProgress } };
    const result = await applyPlan(options);
    expect(result.outcomes.get("a")).toBe("succeeded");
    expect(steps.calls).toEqual(["a/cutover", "a/verify"]);
    expect(steps.undos).toEqual([]);
  });

  it("still refuses, changing nothing, when the cutover never started", async () => {
    const plan = makePlan([{ name: "a", window: closed }]);
    const steps = resumedSteps();
    const options = applyOptions(plan, steps).options;
    options.steps = { ...options.steps, cutover: { ...options.steps.cutover, progressOf: cutoverProgress } };
    const result = await applyPlan(options);
    expect(result.outcomes.get("a")).toBe("failed");
    expect(steps.undos).toEqual([]);
  });
});
