/**
 * Maintenance windows judged against the clock: one already closed, or open but closing before
 * the cutover could fit, is a located warning with a hint (validate and plan say so), not a
 * surprise after apply has copied everything.
 */
import { describe, expect, it } from "vitest";
import { analyzePlanText } from "../../../src/plan/analyze.ts";
import { formatDiagnostic } from "../../../src/plan/diagnostics.ts";
import { planText, workload } from "./plan-fixture.ts";

/** The fixture's window: 2026-12-05 22:00 to 2026-12-06 02:00 +08:00 (2026-12-05 14:00 to 18:00 UTC). */
const windowWarnings = (now: string, extra = "") =>
  analyzePlanText("plan.yaml", planText({ workloads: workload("app", extra) }), { now: Date.parse(now) })
    .diagnostics.filter((d) => d.code.startsWith("window"))
    .map(formatDiagnostic);

describe("windows against the clock", () => {
  it("says nothing about a window still ahead", () => {
    expect(windowWarnings("2026-12-01T00:00Z")).toEqual([]);
  });

  it("warns at the window's end about a window already closed", () => {
    expect(windowWarnings("2026-12-09T18:00Z")).toEqual([
      "plan.yaml:39:53: warning: the maintenance window closed 4 days ago (2026-12-06T02:00+08:00); apply would copy everything, then refuse the cutover (hint: agree a coming maintenance window with the bureau and set window.start and window.end to it)",
    ]);
    expect(windowWarnings("2026-12-05T18:30Z")[0]).toContain("closed 30 min ago");
  });

  it("warns about an open window closing before the downtime budget could fit", () => {
    expect(windowWarnings("2026-12-05T17:00Z", '    downtimeBudget: "90m"\n')).toEqual([
      "plan.yaml:39:53: warning: the maintenance window closes in 60 min (2026-12-06T02:00+08:00), too little for the 90m downtime budget (hint: move the window to a coming slot, or extend window.end if the bureau agrees)",
    ]);
    expect(windowWarnings("2026-12-05T17:50Z")[0]).toContain("too little for a cutover (30 min at least)");
    expect(windowWarnings("2026-12-05T15:00Z", '    downtimeBudget: "90m"\n')).toEqual([]);
  });
});
