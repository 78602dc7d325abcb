/**
 * `verify` as a list of checks or as `{ full, checks }`: both forms validate alike, diagnostics
 * point into the form written, and `full: true` reaches the cutover's input (the target's tree
 * hashed whole) while the list form leaves it out.
 */
import { describe, expect, it } from "vitest";
import { workloadInputs } from "../../../src/engine/planning/plan-inputs.ts";
import { analyzePlanText } from "../../../src/plan/analyze.ts";
import type { Plan } from "../../../src/plan/schema.ts";
import { FIXTURE_NOW, planText, workload } from "./plan-fixture.ts";

const LIST = "    verify:\n      - tcp: { host: tgt-01, port: 22 }\n";

function analyzed(verify: string) {
  const text = planText({ workloads: workload("app").replace(LIST, verify) });
  return analyzePlanText("plan.yaml", text, { now: FIXTURE_NOW });
}

function cutoverInput(plan: Plan) {
  const hosts = new Map([...plan.sources, ...plan.tenants.flatMap((t) => t.hosts)].map((h) => [h.name, h]));
  return workloadInputs(plan.workloads[0]!, hosts);
}

describe("verify: { full, checks }", () => {
  it("takes the long form and hands `full` to the cutover, with the checks to verify", () => {
    const result = analyzed(
      "    verify:\n      full: true\n      checks:\n        - tcp: { host: tgt-01, port: 22 }\n",
    );
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const inputs = cutoverInput(result.plan!);
    expect(inputs.cutover.verifyFull).toBe(true);
    expect(inputs.verify.checks).toEqual([
      { kind: "tcp", host: expect.objectContaining({ name: "tgt-01" }), port: 22 },
    ]);
  });

  it("leaves the cutover's input as it was for the list form", () => {
    const result = analyzed(LIST);
    expect(cutoverInput(result.plan!).cutover).not.toHaveProperty("verifyFull");
  });

  it("points a diagnostic into the long form's checks", () => {
    const result = analyzed(
      "    verify:\n      full: true\n      checks:\n        - tcp: { host: tgt-02, port: 22 }\n",
    );
    expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.path)).toEqual([
      ["workloads", 0, "verify", "checks", 0, "tcp", "host"],
    ]);
  });
});
