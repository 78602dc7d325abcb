/**
 * The CPU rule as a user reads it: a non-portable workload moving to another CPU is refused at
 * its target, saying where the source's CPU came from (assumed or measured) and what to do
 * first, from the inventory's portability scan when there is one.
 */
import { describe, expect, it } from "vitest";
import { analyzePlanText } from "../../../src/plan/analyze.ts";
import type { InventoryFacts } from "../../../src/plan/inventory-facts.ts";
import { FIXTURE_NOW, planText } from "./plan-fixture.ts";

const archErrors = (inventory?: InventoryFacts) =>
  analyzePlanText("plan.yaml", planText(), { now: FIXTURE_NOW, ...(inventory ? { inventory } : {}) })
    .diagnostics.filter((d) => d.code === "arch")
    .map((d) => ({ path: d.path, message: d.message, hint: d.hint }));

const scan = {
  source: "src-01",
  candidates: 3,
  nativeCount: 1,
  machines: { loongarch64: 1 },
  native: [
    {
      path: "/srv/app/bin/appd",
      kind: "executable" as const,
      machine: "loongarch64",
      from: "header" as const,
    },
  ],
  runtimes: [],
  truncated: false,
};

describe("the CPU rule", () => {
  it("measured: names the inventory as the source of the CPU and the first rebuild to do", () => {
    const hosts = { "src-01": { arch: "loong64" } };
    expect(archErrors({ hosts, workloads: { app: scan } })).toEqual([
      {
        path: ["workloads", 0, "target"],
        message:
          'workload "app" is not portable but moves from loongarch64 (from inventory) source "src-01" to x86_64 tenant "ext"; CPU-specific binaries will not run there',
        hint: "first step: rebuild /srv/app/bin/appd for x86_64; then set portable: true, or choose a loongarch64 tenant",
      },
    ]);
    // Without a scan of the workload's files the step is the whole rebuild.
    expect(archErrors({ hosts })[0]?.hint).toBe(
      "rebuild for x86_64 and set portable: true, or choose a loongarch64 tenant",
    );
  });

  it("assumed: an inventory that does not know the source's CPU is no inventory for this rule", () => {
    const assumed = {
      path: ["workloads", 0, "target"],
      message: expect.stringContaining('from x86_64 (assumed: no inventory given) source "src-01"'),
      hint: "run `migrate inventory` and pass --inventory to check the real architecture; set portable: true only if nothing is CPU-specific",
    };
    const arm = (inventory?: InventoryFacts) =>
      analyzePlanText(
        "plan.yaml",
        planText()
          .replace("target: tgt-01", "target: arm-01")
          .replace("zone: egov-extranet", "zone: egov-intranet"),
        { now: FIXTURE_NOW, ...(inventory ? { inventory } : {}) },
      )
        .diagnostics.filter((d) => d.code === "arch")
        .map((d) => ({ path: d.path, message: d.message, hint: d.hint }));
    expect(arm()).toEqual([assumed]);
    expect(arm({ hosts: { "gw-01": { arch: "aarch64" } } })).toEqual([assumed]);
    expect(arm({ hosts: { "src-01": {} } })).toEqual([assumed]);
  });
});
