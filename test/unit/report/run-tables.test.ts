import { describe, expect, it } from "vitest";
import { buildReport } from "../../../src/report/model.ts";
import { runTables, statusTone } from "../../../src/report/run-tables.ts";
import { factoryPlan, factoryRecords } from "../../support/journal-factory.ts";

const model = buildReport({
  plan: factoryPlan,
  planFile: "plan.yaml",
  records: factoryRecords(),
  now: new Date("2026-12-06T00:00:00Z"),
});

describe("the tables of a run, shared by the Markdown and HTML reports", () => {
  it("marks succeeded as ok, running and pending as waiting, anything else as needing a look", () => {
    expect(statusTone("succeeded")).toBe("ok");
    expect(statusTone("running")).toBe("warn");
    expect(statusTone("pending")).toBe("warn");
    for (const status of ["failed", "rolled-back", "interrupted", ""])
      expect(statusTone(status), status).toBe("bad");
  });

  it("lists six tables in the report's order, each row as wide as its headers", () => {
    const run = model.runs[0]!;
    const tables = runTables(run, model.plan.timeZone);
    expect(tables.map((t) => t.title)).toEqual([
      "Systems",
      "Data carried",
      "Step timings",
      "Manifest digests and verification",
      "Failures",
      "Rollbacks",
    ]);
    for (const table of tables) {
      for (const row of table.rows) expect(row, table.id).toHaveLength(table.headers.length);
    }
    expect(tables[0]!.rows).toHaveLength(run.workloads.length);
  });
});
