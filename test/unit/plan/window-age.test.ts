/**
 * A window judged at the moment `validate` runs: closed (how long ago, in minutes, hours or
 * days), closing too soon for the cutover, or still ahead; each boundary belongs to one side.
 */
import { describe, expect, it } from "vitest";
import { analyzePlanText } from "../../../src/plan/analyze.ts";
import { planText, workload } from "./plan-fixture.ts";

// The fixture's window: 2026-12-05 22:00 to 2026-12-06 02:00 at +08:00.
const START = Date.parse("2026-12-05T14:00Z");
const END = Date.parse("2026-12-05T18:00Z");
const MINUTE = 60_000;
const WINDOW = '    window: { start: "2026-12-05T22:00+08:00", end: "2026-12-06T02:00+08:00" }\n';

const findings = (now: number, extra = "", window = WINDOW) =>
  analyzePlanText("plan.yaml", planText({ workloads: workload("app", extra).replace(WINDOW, window) }), {
    now,
  }).diagnostics.map((d) => [d.code, d.message]);

describe("a window judged now", () => {
  it("has closed the moment it ends, and says how long ago in the unit that reads best", () => {
    const closed = (ago: string) => [
      [
        "window-closed",
        `the maintenance window closed ${ago} ago (2026-12-06T02:00+08:00); apply would copy everything, then refuse the cutover`,
      ],
    ];
    expect(findings(END)).toEqual(closed("0 min"));
    expect(findings(END + 119 * MINUTE)).toEqual(closed("119 min"));
    expect(findings(END + 120 * MINUTE)).toEqual(closed("2 h"));
    expect(findings(END + 47 * 60 * MINUTE)).toEqual(closed("47 h"));
    expect(findings(END + 48 * 60 * MINUTE)).toEqual(closed("2 days"));
    // A millisecond before its end it is still open (closing, not closed).
    expect(findings(END - 1).map(([code]) => code)).toEqual(["window-closing"]);
  });

  it("is closing when the time left is under what the cutover needs, from the moment it opens", () => {
    const closing = (left: string, need: string) => [
      [
        "window-closing",
        `the maintenance window closes in ${left} (2026-12-06T02:00+08:00), too little for ${need}`,
      ],
    ];
    expect(findings(END - 29 * MINUTE)).toEqual(closing("29 min", "a cutover (30 min at least)"));
    expect(findings(END - 30 * MINUTE)).toEqual([]);
    // Open since this very moment, with a budget longer than the whole window.
    expect(findings(START, "    downtimeBudget: 5h\n")).toEqual(closing("4 h", "the 5h downtime budget"));
  });

  it("a short window still ahead is short, not closing", () => {
    const short = '    window: { start: "2026-12-05T22:00+08:00", end: "2026-12-05T22:20+08:00" }\n';
    expect(findings(START - MINUTE, "", short)).toEqual([
      ["short-window", "window of 20 minutes is shorter than 30 minutes"],
    ]);
  });
});
