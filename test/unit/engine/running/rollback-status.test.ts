import { describe, expect, it } from "vitest";
import { buildStatus, formatStatus } from "../../../../src/engine/journal/status.ts";
import { applyPlan } from "../../../../src/engine/running/apply.ts";
import { rollbackWorkload } from "../../../../src/engine/running/rollback.ts";
import { UserError } from "../../../../src/errors.ts";
import { OUTPUTS } from "../../../support/step-outputs.ts";
import { applyOptions, makePlan, RecordingSteps } from "../fixtures.ts";

const operator = { user: "ops", host: "h", pid: 1, version: "test", argv: [] };

function rollbackOptions(
  base: ReturnType<typeof applyOptions>["options"],
  steps: RecordingSteps,
  workload: string,
) {
  return {
    plan: base.plan,
    planFile: base.planFile,
    planHash: base.planHash,
    workload,
    journal: base.journal,
    cutover: steps.steps.cutover,
    remote: base.remote,
    onEvent: base.onEvent,
    signal: new AbortController().signal,
    workDir: base.workDir,
    backoff: { baseMs: 1, maxMs: 2 },
    operator,
  };
}

describe("migrate rollback (engine)", () => {
  it("undoes a finished cutover through the journal; the next apply starts the workload over", async () => {
    const plan = makePlan([{ name: "a" }]);
    const steps = new RecordingSteps();
    const { options, journal } = applyOptions(plan, steps);
    await applyPlan(options);
    const result = await rollbackWorkload(rollbackOptions(options, steps, "a"));
    expect(result.status).toBe("rolled-back");
    expect(steps.undos).toEqual(["a"]);
    const runStarts = journal.records.filter((r) => r.type === "run-start");
    expect(runStarts.map((r) => r.type === "run-start" && r.command)).toEqual(["apply", "rollback"]);

    steps.calls.length = 0;
    await applyPlan(applyOptions(plan, steps, { journal }).options);
    expect(steps.calls).toEqual(["a/snapshot", "a/transfer", "a/reconfigure", "a/cutover", "a/verify"]);
  });

  it("refuses when the cutover never ran, or was already rolled back", async () => {
    const plan = makePlan([{ name: "a" }, { name: "b", source: "src-2" }]);
    const steps = new RecordingSteps();
    steps.behave = async (_context, step, workload) => {
      if (workload === "b" && step === "transfer") throw new UserError("remote", "disk full");
      return {};
    };
    const { options } = applyOptions(plan, steps);
    await applyPlan(options);
    await expect(rollbackWorkload(rollbackOptions(options, steps, "b"))).rejects.toThrow(
      /cutover of b never ran/,
    );
    await rollbackWorkload(rollbackOptions(options, steps, "a"));
    // When, in the plan's zone (Asia/Shanghai by default) with its offset.
    await expect(rollbackWorkload(rollbackOptions(options, steps, "a"))).rejects.toThrow(
      /^a was already rolled back at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+08:00$/,
    );
    await expect(rollbackWorkload(rollbackOptions(options, steps, "aa"))).rejects.toMatchObject({
      kind: "usage",
    });
  });
});

describe("status", () => {
  it("groups waves and bureaus, and shows a running workload with no live apply as interrupted", async () => {
    const plan = makePlan([{ name: "a" }, { name: "b", wave: 2, source: "src-2", dependsOn: ["a"] }]);
    const steps = new RecordingSteps();
    steps.behave = async (_c, step) =>
      step === "cutover"
        ? { ...OUTPUTS.cutover, frozenAt: new Date(Date.now() - 2000).toISOString() }
        : OUTPUTS[step];
    const { options, journal } = applyOptions(plan, steps, { only: ["a"] });
    await applyPlan(options);
    // A crash mid-step: the journal ends with a step-start and no lock holder is alive.
    journal.append({
      v: 1,
      type: "step-start",
      runId: "r9",
      at: new Date().toISOString(),
      workload: "b",
      step: "snapshot",
      key: "b/snapshot",
      attempt: 1,
      inputHash: "x",
    });
    const status = buildStatus(plan, "/state", { records: journal.records });
    expect(status.waves.map((w) => [w.wave, w.status])).toEqual([
      [1, "done"],
      [2, "attention"],
    ]);
    const a = status.waves[0]?.bureaus[0]?.workloads[0];
    expect(a).toMatchObject({ name: "a", status: "succeeded", stepsDone: 5 });
    expect(a?.downtimeMs).toBeGreaterThanOrEqual(2000);
    const b = status.waves[1]?.bureaus[0]?.workloads[0];
    expect(b).toMatchObject({ status: "interrupted", step: "snapshot" });
    expect(formatStatus(status)).toContain("process gone");

    const live = buildStatus(
      plan,
      "/state",
      { records: journal.records },
      {
        pid: 42,
        host: "h",
        user: "ops",
        startedAt: "t",
        command: "migrate apply",
      },
    );
    expect(live.waves[1]?.bureaus[0]?.workloads[0]?.status).toBe("running");
    expect(formatStatus(live)).toContain("apply running: pid 42");
  });
});
