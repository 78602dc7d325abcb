import { describe, expect, it } from "vitest";
import { planRun } from "../../../src/engine/planning/planner.ts";
import { analyzePlanText } from "../../../src/plan/analyze.ts";
import { palette } from "../../../src/render/colour.ts";
import { runPlanText, wrapLine } from "../../../src/render/plan-text.ts";
import { STEPS } from "../../../src/steps/names.ts";
import { planText, workload } from "../plan/plan-fixture.ts";

const plan = analyzePlanText(
  "plan.yaml",
  planText({
    workloads: `${workload("base").replace("paths: [/srv/base]", "paths: [/srv/base, /etc/base]")}${workload("web", "    dependsOn: [base]\n    downtimeBudget: 20m\n", 2)}`,
  }),
).plan!;

describe("runPlanText overview", () => {
  it("starts with the waves: workloads with bureau, tenant, budget, steps and the window in the plan's zone", () => {
    const text = runPlanText(planRun(plan), { planFile: "plan.yaml" });
    expect(text).toContain("2 workloads of 1 bureau in 2 waves; 10 of 10 steps pending\n");
    expect(text).toContain("Times in Asia/Shanghai\n");
    expect(text).toContain(
      [
        "Wave 1 · 1 workload · 5 steps pending · window 2026-12-05 22:00 – 2026-12-06 02:00 +08:00",
        "  WORKLOAD  BUREAU  TENANT  BUDGET  STEPS",
        "  base      test    ext     -       5",
        "",
        "Wave 2 · 1 workload · 5 steps pending · window 2026-12-05 22:00 – 2026-12-06 02:00 +08:00",
        "  WORKLOAD  BUREAU  TENANT  BUDGET  STEPS",
        "  web       test    ext     20m     5",
      ].join("\n"),
    );
    // Without --verbose the actions stay out and the text says how to see them.
    expect(text).not.toContain("verified tar batches");
    expect(text).toContain("Each step's actions and undo: migrate plan plan.yaml --verbose (or --json)\n");
    expect(text).toContain("10 steps pending in 2 of 2 workloads. Nothing was executed");
  });

  it("shows each window in the plan's own zone, whatever offset the plan wrote", () => {
    const utc = analyzePlanText(
      "plan.yaml",
      planText({ defaults: "defaults:\n  timezone: UTC\n", workloads: workload("base") }),
    ).plan!;
    expect(runPlanText(planRun(utc))).toContain("window 2026-12-05 14:00 – 18:00 +00:00");
  });

  it("gives each workload its window when the wave's windows differ", () => {
    const mixed = analyzePlanText(
      "plan.yaml",
      planText({
        workloads: `${workload("a")}${workload("b").replace("2026-12-05T22:00+08:00", "2026-12-05T23:00+08:00")}`,
      }),
    ).plan!;
    const text = runPlanText(planRun(mixed));
    expect(text).toContain("Wave 1 · 2 workloads · 10 steps pending\n");
    expect(text).toContain(
      "  b         test    ext     -       5      2026-12-05 23:00 – 2026-12-06 02:00 +08:00\n",
    );
  });

  it("--wave keeps one wave and counts only its steps", () => {
    const text = runPlanText(planRun(plan), { wave: 2 });
    expect(text).not.toContain("Wave 1 ·");
    expect(text).toContain("  web       test    ext     20m     5");
    expect(text).toContain("Wave 2: 5 steps pending in 1 of 1 workloads.");
  });

  it("apply's confirmation ends with the overview, not with 'Nothing was executed'", () => {
    const text = runPlanText(planRun(plan), { footer: "none" });
    expect(text).not.toContain("Nothing was executed");
    expect(text.trimEnd().endsWith("  web       test    ext     20m     5")).toBe(true);
  });

  it("colours headings only when given a colour palette", () => {
    expect(runPlanText(planRun(plan))).not.toContain("\u001b[");
    expect(runPlanText(planRun(plan), { style: palette(true) })).toContain(
      "\u001b[1mWave 1\u001b[22m · 1 workload",
    );
  });

  it("drops the tenant column and moves the window to its own line on a narrow terminal", () => {
    const text = runPlanText(planRun(plan), { width: 40 });
    expect(text).toContain(
      "Wave 1 · 1 workload · 5 steps pending\n  window 2026-12-05 22:00 – 2026-12-06 02:00 +08:00\n",
    );
    expect(text).toContain("  WORKLOAD  BUREAU  BUDGET  STEPS\n  base      test    -       5\n");
    // The window is never broken inside; everything else fits.
    for (const line of text.split("\n").filter((l) => !l.startsWith("  window")))
      expect(line.length).toBeLessThanOrEqual(40);
  });
});

describe("runPlanText --verbose", () => {
  it("adds each step's actions after the overview, grouping paths, with the window in the plan's zone", () => {
    const text = runPlanText(
      planRun(plan, {
        inventory: { hosts: { "src-01": { paths: { "/etc/base": { bytes: 2048, files: 3 } } } } },
      }),
      { verbose: true },
    );
    expect(text.indexOf("Wave 1 ·")).toBeLessThan(text.indexOf("Wave 1 in detail"));
    expect(text).toContain("Wave 1 in detail\n  base (test, generic, MLPS 2, egov-extranet)\n");
    expect(text).toContain("Wave 2 in detail\n  web (test, generic, MLPS 2, egov-extranet, after base)\n");
    expect(text).toContain(
      "      - record sha256 manifests on src-01 of /srv/base, /etc/base (2.00 KiB, 3 files)\n",
    );
    expect(text).toContain(
      "      - copy src-01 -> tgt-01 in verified tar batches: /srv/base, /etc/base (2.00 KiB, 3 files); the target will be checked first and what it already holds (digest verified there) is not sent\n",
    );
    expect(text).toContain("    cutover (in window 2026-12-05 22:00 – 2026-12-06 02:00 +08:00)\n");
    expect(text).not.toContain("--verbose (or --json)");
  });

  it("wraps detail lines to the terminal's width", () => {
    const text = runPlanText(planRun(plan), { verbose: true, width: 50 });
    const details = text.slice(text.indexOf("Wave 1 in detail"));
    for (const line of details.split("\n")) expect(line.length).toBeLessThanOrEqual(50);
    expect(text).toContain(
      "      - copy src-01 -> tgt-01 in verified tar\n        batches: /srv/base, /etc/base; the target\n",
    );
  });
});

describe("runPlanText with a journal", () => {
  it("leaves out what is done", () => {
    const done = new Set(STEPS.map((step) => `base/${step}`));
    const text = runPlanText(planRun(plan, { completed: done }), { verbose: true });
    expect(text).toContain("Wave 1 · done · 1 workload\n");
    expect(text).not.toContain("base (test");
    expect(text).toContain("5 steps pending in 1 of 2 workloads, 5 already done.");
  });

  it("marks partly done workloads with what remains", () => {
    const text = runPlanText(planRun(plan, { completed: new Set(["base/snapshot", "base/transfer"]) }));
    expect(text).toContain("  base      test    ext     -       3 of 5\n");
  });

  it("says there is nothing to do when everything is done", () => {
    const done = new Set(["base", "web"].flatMap((w) => STEPS.map((step) => `${w}/${step}`)));
    expect(runPlanText(planRun(plan, { completed: done }))).toContain(
      "Nothing to do: all 2 workloads are done.",
    );
  });
});

describe("wrapLine", () => {
  it("leaves short lines and unlimited widths alone", () => {
    expect(wrapLine("  short", 80)).toEqual(["  short"]);
    expect(wrapLine("x ".repeat(100), undefined)).toHaveLength(1);
  });

  it("indents continuations past a plain line's indent", () => {
    expect(wrapLine("    aaa bbb ccc", 11)).toEqual(["    aaa bbb", "      ccc"]);
  });

  it("keeps a word longer than the width whole rather than cutting it", () => {
    expect(wrapLine("  - /a/very/long/path/name x", 10)).toEqual(["  - /a/very/long/path/name", "    x"]);
  });
});
