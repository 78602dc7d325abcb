/**
 * Window times and durations as `validate` reads them: every calendar and clock field at its
 * edge, offsets at their edge, and each duration unit.
 */
import { describe, expect, it } from "vitest";
import { analyzePlanText } from "../../../src/plan/analyze.ts";
import { parseWindowTime } from "../../../src/plan/rules/windows.ts";
import { FIXTURE_NOW, planText, workload } from "./plan-fixture.ts";

describe("window time edges", () => {
  it("accepts the first and last valid value of every field", () => {
    for (const text of [
      "2026-01-01T00:00Z",
      "2026-12-31T23:59:59Z",
      "2028-02-29T12:00+08:00",
      "2026-04-30T12:00+08:00",
      "2026-12-05T22:00:00.123456789+14:00",
      "2026-12-05T22:00-12:59",
    ])
      expect(parseWindowTime(text), text).toBe(Date.parse(text));
  });

  it("refuses one past the edge, saying which field", () => {
    expect(parseWindowTime("2026-00-10T22:00Z")).toBe("has month 0");
    expect(parseWindowTime("2026-13-10T22:00Z")).toBe("has month 13");
    expect(parseWindowTime("2026-12-00T22:00Z")).toBe("has day 0, but that month has 31 days");
    expect(parseWindowTime("2026-12-32T22:00Z")).toBe("has day 32, but that month has 31 days");
    expect(parseWindowTime("2026-04-31T22:00Z")).toBe("has day 31, but that month has 30 days");
    expect(parseWindowTime("2027-02-29T22:00Z")).toBe("has day 29, but that month has 28 days");
    for (const text of ["2026-12-05T24:00Z", "2026-12-05T22:60Z", "2026-12-05T22:00:60Z"])
      expect(parseWindowTime(text), text).toBe("has an impossible time of day");
    expect(parseWindowTime("2026-12-05T22:00+15:00")).toBe("has an impossible offset +15:00");
    expect(parseWindowTime("2026-12-05T22:00+00:60")).toBe("has an impossible offset +00:60");
    expect(parseWindowTime("2026-12-05T22:00-08:60")).toBe("has an impossible offset -08:60");
  });

  it("tells a missing offset from text that is no time at all", () => {
    const noOffset = "has no UTC offset; write it like 2026-12-05T22:00+08:00";
    expect(parseWindowTime("2026-12-05T22:00")).toBe(noOffset);
    expect(parseWindowTime("2026-12-05T22:00:30")).toBe(noOffset);
    expect(parseWindowTime("2026-12-05T22:00:30.25")).toBe(noOffset);
    const notTime = "is not an ISO 8601 time like 2026-12-05T22:00+08:00";
    for (const text of [
      "2026-12-05 22:00+08:00",
      "2026-12-05",
      "22:00+08:00",
      "x2026-12-05T22:00Z",
      "x2026-12-05T22:00",
      "2026-12-05T22:00:30x",
      "2026-12-05T22:00:3",
      "2026-12-05T22:00:30.",
      "2026-12-05T22:00Zx",
      "2026-12-05T22:00+0800",
    ])
      expect(parseWindowTime(text), text).toBe(notTime);
  });
});

describe("the windows rule in a plan", () => {
  const plan = (window: string, extra = "") =>
    analyzePlanText(
      "plan.yaml",
      planText({
        workloads: workload("app", extra).replace(
          '    window: { start: "2026-12-05T22:00+08:00", end: "2026-12-06T02:00+08:00" }\n',
          window,
        ),
      }),
      { now: FIXTURE_NOW },
    ).diagnostics.map((d) => [d.severity, d.code, d.message, d.path]);

  it("locates a bad start and a bad end separately", () => {
    expect(plan('    window: { start: "2026-12-05T22:00", end: "2026-12-06T02:00+08:00" }\n')).toEqual([
      [
        "error",
        "window",
        'window start "2026-12-05T22:00" has no UTC offset; write it like 2026-12-05T22:00+08:00',
        ["workloads", 0, "window", "start"],
      ],
    ]);
    expect(plan('    window: { start: "2026-12-05T22:00+08:00", end: "2026-12-06T25:00+08:00" }\n')).toEqual([
      [
        "error",
        "window",
        'window end "2026-12-06T25:00+08:00" has an impossible time of day',
        ["workloads", 0, "window", "end"],
      ],
    ]);
  });

  it("refuses a window that ends when it starts, at its end", () => {
    expect(plan('    window: { start: "2026-12-05T22:00+08:00", end: "2026-12-05T14:00Z" }\n')).toEqual([
      [
        "error",
        "window",
        "window ends (2026-12-05T14:00Z) before or when it starts (2026-12-05T22:00+08:00)",
        ["workloads", 0, "window", "end"],
      ],
    ]);
  });

  it("warns about a budget longer than the window at the budget", () => {
    expect(
      plan(
        '    window: { start: "2026-12-05T22:00Z", end: "2026-12-05T22:45Z" }\n',
        "    downtimeBudget: 1h\n",
      ),
    ).toEqual([
      [
        "warning",
        "budget-exceeds-window",
        "downtime budget 1h is longer than the 45-minute window",
        ["workloads", 0, "downtimeBudget"],
      ],
    ]);
  });

  it("refuses a time zone that is not an IANA name", () => {
    const diagnostics = analyzePlanText(
      "plan.yaml",
      planText({ defaults: "defaults:\n  timezone: Mars/Olympus\n" }),
      { now: FIXTURE_NOW },
    ).diagnostics;
    expect(diagnostics.map((d) => [d.severity, d.code, d.message, d.path])).toEqual([
      [
        "error",
        "timezone",
        'timezone "Mars/Olympus" is not an IANA time zone like Asia/Shanghai',
        ["defaults", "timezone"],
      ],
    ]);
  });
});
