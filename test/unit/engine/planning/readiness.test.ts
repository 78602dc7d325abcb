/**
 * Readiness assessment (pure): which facts block a run and which only warn, and how a
 * rehearsal is recognised in the journal.
 */
import { describe, expect, it } from "vitest";
import type { JournalRecord } from "../../../../src/engine/journal/journal-record.ts";
import { planRun } from "../../../../src/engine/planning/planner.ts";
import { assessReadiness, rehearsedWorkloads } from "../../../../src/engine/planning/readiness.ts";
import { analyzePlanText } from "../../../../src/plan/analyze.ts";
import { FIXTURE_NOW, planText, workload } from "../../plan/plan-fixture.ts";

const { plan } = analyzePlanText("plan.yaml", planText({ workloads: workload("app") }), { now: FIXTURE_NOW });
const workloads = planRun(plan!).waves.flatMap((wave) => wave.workloads);
const BEFORE_WINDOW = new Date(FIXTURE_NOW);
const MiB = 1024 * 1024;
const assess = (
  facts: Parameters<typeof assessReadiness>[1],
  context: Partial<Parameters<typeof assessReadiness>[2]> = {},
) =>
  assessReadiness(workloads, facts, { now: BEFORE_WINDOW, rehearsed: new Set(["app"]), ...context }).map(
    (f) => [f.level, f.check, f.message],
  );

describe("readiness", () => {
  it("blocks when a target file system cannot hold what is still to come, counting what it holds", () => {
    const space = (targetBytes: number) => [
      { path: "/srv/app", sourceBytes: 30 * MiB, targetBytes, mount: "/srv", freeBytes: 10 * MiB },
    ];
    expect(assess(new Map([["app", { space: space(0) }]]))).toEqual([
      ["block", "space", "tgt-01 has 10.0 MiB free on /srv but /srv/app need 30.0 MiB more from src-01"],
    ]);
    expect(assess(new Map([["app", { space: space(25 * MiB) }]]))).toEqual([]);
  });

  it("blocks a port held by a foreign process and an older target database; warns when never rehearsed", () => {
    const facts = new Map([
      [
        "app",
        {
          portsInUse: [{ port: 8080, processes: ["httpd"] }],
          databases: [
            {
              engine: "postgresql",
              name: "app",
              source: [15, 0] as [number, number],
              target: [13, 0] as [number, number],
            },
            {
              engine: "postgresql",
              name: "same",
              source: [15, 0] as [number, number],
              target: [16, 0] as [number, number],
            },
          ],
        },
      ],
    ]);
    expect(assess(facts, { rehearsed: new Set() })).toEqual([
      ["block", "ports", "port 8080 on tgt-01 is already in use by httpd, not by the workload's services"],
      [
        "block",
        "database-version",
        "postgresql on tgt-01 is 13.0, older than 15.0 on src-01: app's dump may not restore",
      ],
      ["warn", "rehearsal", "never rehearsed: no rehearsal of it passed verify"],
    ]);
  });

  it("blocks a closed window unless --ignore-window, and warns when the transfer outlasts the window", () => {
    const after = new Date("2026-12-07T00:00Z");
    expect(assess(new Map(), { now: after })[0]?.slice(0, 2)).toEqual(["block", "window"]);
    expect(assess(new Map(), { now: after, ignoreWindow: true })).toEqual([]);
    // A cutover that already froze the source defers or finishes by itself: never blocked here.
    expect(assess(new Map(), { now: after, cutoverStarted: new Set(["app"]) })).toEqual([]);
    const big = new Map([
      [
        "app",
        { space: [{ path: "/srv/app", sourceBytes: 1e12, targetBytes: 0, mount: "/", freeBytes: 2e12 }] },
      ],
    ]);
    const slow = assess(big, { now: new Date("2026-12-05T15:00Z"), rateBytesPerSecond: 10 * MiB });
    expect(slow.map((f) => f.slice(0, 2))).toEqual([["warn", "window"]]);
  });

  it("counts a workload as rehearsed only when a rehearse run ended it succeeded", () => {
    const at = "2026-12-01T00:00:00Z";
    const start = (runId: string, command: string) =>
      ({ type: "run-start", v: 1, runId, at, command }) as unknown as JournalRecord;
    const end = (runId: string, workload: string, status: string) =>
      ({ type: "workload-end", v: 1, runId, at, workload, status }) as unknown as JournalRecord;
    const records = [
      start("r1", "rehearse"),
      end("r1", "a", "succeeded"),
      end("r1", "b", "failed"),
      start("r2", "apply"),
      end("r2", "c", "succeeded"),
    ];
    expect([...rehearsedWorkloads(records)]).toEqual(["a"]);
  });
});
