/**
 * Hooks in a plan: step names and hosts are checked with did-you-mean hints, and the run plan
 * carries each step's hooks (what apply runs) and shows them as the step's first and last actions.
 */
import { describe, expect, it } from "vitest";
import { planRun } from "../../../src/engine/planning/planner.ts";
import { analyzePlanText } from "../../../src/plan/analyze.ts";
import { FIXTURE_NOW, planText, workload } from "./plan-fixture.ts";

const HOOKS = `    hooks:
      before:
        cutover:
          - { host: gw-01, run: "touch /srv/maintenance", timeout: 30s }
      after:
        cutover:
          - { host: tgt-01, run: "curl -fsS http://localhost/ >/dev/null", mustSucceed: false }
`;

const analyze = (extra: string) =>
  analyzePlanText("plan.yaml", planText({ workloads: workload("app", extra) }), { now: FIXTURE_NOW });
const errors = (extra: string) =>
  analyze(extra)
    .diagnostics.filter((d) => d.severity === "error")
    .map((d) => d.message);

describe("hooks in the plan", () => {
  it("refuses an unknown step name with a did-you-mean hint", () => {
    expect(errors(HOOKS.replace("before:\n        cutover:", "before:\n        cutovr:"))).toEqual([
      'unknown key "cutovr" in before; did you mean "cutover"?',
    ]);
  });

  it("refuses a hook host that is not a plan host, naming the closest", () => {
    expect(errors(HOOKS.replace("host: gw-01", "host: gw-1"))).toEqual([
      'hook host "gw-1" is not a host in this plan; did you mean "gw-01"?',
    ]);
  });

  it("puts the hooks around the step: inputs apply runs, actions plan shows, defaults filled", () => {
    const { plan } = analyze(HOOKS);
    const cutover = planRun(plan!).waves[0]!.workloads[0]!.steps.find((s) => s.name === "cutover")!;
    expect(cutover.hooks).toEqual({
      before: [
        {
          id: "cutover/before/0",
          phase: "before",
          host: "gw-01",
          run: "touch /srv/maintenance",
          timeoutMs: 30_000,
          mustSucceed: true,
        },
      ],
      after: [
        {
          id: "cutover/after/0",
          phase: "after",
          host: "tgt-01",
          run: "curl -fsS http://localhost/ >/dev/null",
          timeoutMs: 300_000,
          mustSucceed: false,
        },
      ],
    });
    expect(cutover.actions[0]).toMatchObject({ type: "hook", phase: "before", host: "gw-01" });
    expect(cutover.actions.at(-1)).toMatchObject({ type: "hook", phase: "after", mustSucceed: false });
    const verify = planRun(plan!).waves[0]!.workloads[0]!.steps.find((s) => s.name === "verify")!;
    expect(verify.hooks).toBeUndefined();
  });
});
