import { describe, expect, it } from "vitest";
import { STEPS } from "../../../src/engine/events.ts";
import { runPlanText } from "../../../src/engine/plan-text.ts";
import { planRun } from "../../../src/engine/planner.ts";
import { analyzePlanText } from "../../../src/plan/analyze.ts";
import { planText, workload } from "./plan-fixture.ts";

const plan = analyzePlanText(
  "plan.yaml",
  planText({
    workloads: `${workload("base").replace("paths: [/srv/base]", "paths: [/srv/base, /etc/base]")}${workload("web", "    dependsOn: [base]\n", 2)}`,
  }),
).plan!;

describe("runPlanText", () => {
  it("lists waves, dependencies and one line per group of paths", () => {
    const text = runPlanText(
      planRun(plan, {
        inventory: { hosts: { "src-01": { paths: { "/etc/base": { bytes: 2048, files: 3 } } } } },
      }),
    );
    expect(text).toContain("Wave 1: 1 workload\n  base (test, generic, MLPS 2, egov-extranet)\n");
    expect(text).toContain("Wave 2: 1 workload\n  web (test, generic, MLPS 2, egov-extranet, after base)\n");
    expect(text).toContain(
      "      - record sha256 manifests on src-01 of /srv/base, /etc/base (2.0 KiB, 3 files)\n",
    );
    expect(text).toContain(
      "      - copy src-01 -> tgt-01 in verified tar batches: /srv/base, /etc/base (2.0 KiB, 3 files); the target will be checked first and what it already holds (digest verified there) is not sent\n",
    );
    expect(text).toContain("    cutover (in window 2026-12-05T22:00+08:00 .. 2026-12-06T02:00+08:00)\n");
    expect(text).toContain("10 steps pending in 2 of 2 workloads. Nothing was executed");
  });

  it("leaves out what is done", () => {
    const done = new Set(STEPS.map((step) => `base/${step}`));
    const text = runPlanText(planRun(plan, { completed: done }));
    expect(text).toContain("Wave 1: done (1 workloads)");
    expect(text).not.toContain("base (test");
    expect(text).toContain("5 steps pending in 1 of 2 workloads, 5 already done.");
  });

  it("says there is nothing to do when everything is done", () => {
    const done = new Set(["base", "web"].flatMap((w) => STEPS.map((step) => `${w}/${step}`)));
    expect(runPlanText(planRun(plan, { completed: done }))).toContain(
      "Nothing to do: all 2 workloads are done.",
    );
  });
});
