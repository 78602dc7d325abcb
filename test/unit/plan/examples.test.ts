/**
 * The example plans are the documentation people copy: each must validate without errors, carry
 * the editor modeline, pass the committed JSON Schema, and dry-run into output that matches the
 * documented plan-output schema.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { planRun } from "../../../src/engine/planning/planner.ts";
import { formatDiagnostic } from "../../../src/plan/diagnostics.ts";
import { planJsonSchemaText } from "../../../src/plan/json-schema.ts";
import { loadPlan } from "../../../src/plan/load.ts";

const root = join(import.meta.dirname, "../../..");
const plans = readdirSync(join(root, "plans"))
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => join(root, "plans", f));
const readJson = (file: string) => JSON.parse(readFileSync(join(root, file), "utf8")) as object;

describe("example plans", () => {
  it("include the three required examples", () => {
    expect(plans.length).toBeGreaterThanOrEqual(3);
  });

  it.each(plans)("%s validates with no errors", async (file) => {
    const result = await loadPlan(file);
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    expect(errors.map(formatDiagnostic)).toEqual([]);
    expect(result.plan).toBeDefined();
  });

  // The examples are what people copy and try first, so none may show a closed window. Their
  // dates are absolute, so this fails once they pass: move every window forward by 52 weeks
  // (weekdays stay the same) when it does.
  it.each(plans)("%s has no maintenance window that has already closed", async (file) => {
    const result = await loadPlan(file);
    const closed = result.diagnostics.filter(
      (d) => d.code === "window-closed" || d.code === "window-closing",
    );
    expect(closed.map(formatDiagnostic)).toEqual([]);
  });

  it.each(plans)("%s starts with the yaml-language-server modeline", (file) => {
    expect(readFileSync(file, "utf8").split("\n")[0]).toBe(
      "# yaml-language-server: $schema=../schema/plan.schema.json",
    );
  });

  it.each(plans)("%s passes the committed JSON Schema", (file) => {
    const validate = new Ajv2020({ strict: false, logger: false }).compile(
      readJson("schema/plan.schema.json"),
    );
    const ok = validate(parse(readFileSync(file, "utf8")));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it.each(plans)("plan --json of %s matches schema/plan-output.schema.json", async (file) => {
    const result = await loadPlan(file);
    const output = JSON.parse(JSON.stringify(planRun(result.plan!, { planHash: result.hash })));
    const validate = new Ajv2020({ strict: true }).compile(readJson("schema/plan-output.schema.json"));
    validate(output);
    expect(validate.errors ?? []).toEqual([]);
  });

  it("the city-wide plan has at least 12 systems, 5 bureaus, 2 tenants (one aarch64) and dependencies", async () => {
    const result = await loadPlan(join(root, "plans/jiaxing-city-waves.yaml"));
    const plan = result.plan!;
    expect(plan.workloads.length).toBeGreaterThanOrEqual(12);
    expect(new Set(plan.workloads.map((w) => w.bureau)).size).toBeGreaterThanOrEqual(5);
    expect(plan.tenants.length).toBeGreaterThanOrEqual(2);
    expect(plan.tenants.some((t) => t.arch === "aarch64")).toBe(true);
    expect(plan.workloads.some((w) => w.dependsOn.length > 0)).toBe(true);
    expect(plan.workloads.every((w) => w.window !== undefined)).toBe(true);
  });
});

describe("JSON Schema", () => {
  it("the committed schema/plan.schema.json equals the one generated from zod (run `npm run schema`)", () => {
    expect(readFileSync(join(root, "schema/plan.schema.json"), "utf8")).toBe(planJsonSchemaText());
  });

  it("rejects unknown keys, as validate does", () => {
    const validate = new Ajv2020({ strict: false, logger: false }).compile(
      readJson("schema/plan.schema.json"),
    );
    const plan = parse(readFileSync(plans[0]!, "utf8")) as Record<string, unknown>;
    expect(validate({ ...plan, workload: [] })).toBe(false);
  });
});

describe("JSON Schema patterns for editors", () => {
  const validate = new Ajv2020({ strict: false, logger: false }).compile(readJson("schema/plan.schema.json"));
  const withWorkload = (change: (w: Record<string, unknown>) => void) => {
    const plan = parse(readFileSync(join(root, "plans/henan-finance.yaml"), "utf8")) as {
      workloads: Record<string, unknown>[];
    };
    change(plan.workloads[0]!);
    return plan;
  };
  it("flags relative and climbing paths", () => {
    expect(validate(withWorkload((w) => (w.paths = ["srv/portal"])))).toBe(false);
    expect(validate(withWorkload((w) => (w.paths = ["/srv/../etc"])))).toBe(false);
    expect(validate(withWorkload((w) => (w.paths = ["/srv/portal"])))).toBe(true);
  });
  it("flags window times without an offset", () => {
    expect(
      validate(
        withWorkload((w) => (w.window = { start: "2026-12-05T22:00", end: "2026-12-06T02:00+08:00" })),
      ),
    ).toBe(false);
  });
});

describe("plan-output schema", () => {
  it("rejects an action type it does not document", async () => {
    const result = await loadPlan(plans[0]!);
    const output = JSON.parse(JSON.stringify(planRun(result.plan!)));
    output.waves[0].workloads[0].steps[0].actions.push({ type: "format-disk", host: "x", summary: "oops" });
    const validate = new Ajv2020({ strict: true }).compile(readJson("schema/plan-output.schema.json"));
    expect(validate(output)).toBe(false);
  });
});
