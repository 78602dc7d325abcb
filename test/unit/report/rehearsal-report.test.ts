/**
 * A rehearsal in the sign-off report: its own table (the summary line, the checks against the
 * target, what was measured), and it moves no system — the bureau's progress counts a workload
 * only once it is verified after a real cutover.
 */
import { describe, expect, it } from "vitest";
import type { JournalRecord } from "../../../src/engine/journal/journal-record.ts";
import { buildReport } from "../../../src/report/model.ts";
import { runTables } from "../../../src/report/run-tables.ts";
import { factoryPlan } from "../../support/journal-factory.ts";
import { OUTPUTS } from "../../support/step-outputs.ts";

const runId = "20261203T020000Z-cccccc";
const at = (s: number) => new Date(Date.parse("2026-12-03T02:00:00.000Z") + s * 1000).toISOString();
const step = (type: "step-start" | "step-finish", step: keyof typeof OUTPUTS, s: number) =>
  ({
    v: 1,
    type,
    runId,
    at: at(s),
    workload: "finance-portal",
    step,
    key: `finance-portal/${step}`,
    inputHash: "ih",
    ...(type === "step-start" ? { attempt: 1 } : { durationMs: 1000, outputs: OUTPUTS[step] }),
  }) as JournalRecord;
const records: JournalRecord[] = [
  {
    v: 1,
    type: "run-start",
    runId,
    at: at(0),
    planFile: "plan.yaml",
    planName: "jiaxing-2026",
    planHash: "ph",
    workloadHashes: {},
    command: "rehearse",
    operator: { user: "ops", host: "jump-01", pid: 1, version: "0.2.0", argv: ["rehearse"] },
  },
  ...(["snapshot", "transfer", "reconfigure", "rehearse"] as const).flatMap((name, i) => [
    step("step-start", name, i * 2 + 1),
    step("step-finish", name, i * 2 + 2),
  ]),
  {
    v: 1,
    type: "workload-end",
    runId,
    at: at(9),
    workload: "finance-portal",
    status: "succeeded",
    reason: "rehearsed: verify passed on the target, projected downtime 0 s of 5m; ready for cutover",
    downtimeBudgetMs: 300_000,
  },
  { v: 1, type: "run-end", runId, at: at(10), status: "succeeded" },
];

describe("a rehearsal in the sign-off report", () => {
  const model = buildReport({ plan: factoryPlan, planFile: "plan.yaml", records, now: new Date(at(20)) });

  it("shows the rehearsal's summary, checks and measurements in their own table", () => {
    const tables = runTables(model.runs[0]!, "Asia/Shanghai");
    const table = tables.find((t) => t.id === "rehearsal");
    expect(table?.rows).toHaveLength(1);
    const [name, summary, checks, measured] = table!.rows[0]!;
    expect(name?.text).toBe("finance-portal");
    expect(summary).toEqual({
      text: "rehearsed 2026-12-03, verify passed, projected downtime 0 s of 5 m",
      tone: "ok",
    });
    expect(checks?.text).toBe("✔ http http://10.0.0.1/health (200)");
    expect(measured?.text).toContain("stop 0.1 s");
    expect(measured?.text).toContain("verify 0.1 s");
  });

  it("counts no system as moved and keeps the workload pending in the bureau's progress", () => {
    expect(model.runs[0]?.systemsMoved).toBe(0);
    expect(model.overall.migrated).toBe(0);
    const finance = model.progress.find((p) => p.bureau === "finance");
    expect(finance?.workloads.find((w) => w.name === "finance-portal")?.status).toBe("pending");
  });
});
