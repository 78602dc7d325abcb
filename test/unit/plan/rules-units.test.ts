import { describe, expect, it } from "vitest";
import { closestNames, didYouMean, editDistance } from "../../../src/plan/did-you-mean.ts";
import { pathProblem } from "../../../src/plan/rules/paths.ts";
import { parseWindowTime } from "../../../src/plan/rules/windows.ts";

describe("did you mean", () => {
  it("counts a transposition as one edit", () => {
    expect(editDistance("pahts", "paths")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
  });
  it("suggests only plausible names, closest first", () => {
    expect(closestNames("land-revenu", ["finance-portal", "land-revenue", "land-registry"])).toEqual([
      "land-revenue",
    ]);
    expect(didYouMean("zzz", ["alpha", "beta"])).toBe("");
    expect(didYouMean("fin-app-1", ["fin-app-01", "fin-app-02"])).toBe(
      '; did you mean "fin-app-01" or "fin-app-02"?',
    );
  });
});

describe("window times", () => {
  it("accepts ISO 8601 with an offset or Z", () => {
    expect(parseWindowTime("2026-12-05T22:00+08:00")).toBe(Date.parse("2026-12-05T14:00Z"));
    expect(parseWindowTime("2026-12-05T22:00:30.5Z")).toBe(Date.parse("2026-12-05T22:00:30.5Z"));
  });
  it("explains what is wrong", () => {
    expect(parseWindowTime("2026-12-05T22:00")).toContain("no UTC offset");
    expect(parseWindowTime("2026-02-29T22:00+08:00")).toContain("that month has 28 days");
    expect(parseWindowTime("2026-13-01T22:00+08:00")).toContain("month 13");
    expect(parseWindowTime("2026-12-05T24:30+08:00")).toContain("impossible time");
    expect(parseWindowTime("Saturday night")).toContain("not an ISO 8601 time");
  });
});

describe("paths", () => {
  it("accepts absolute normalized paths (a trailing slash is fine)", () => {
    expect(pathProblem("/srv/app")).toBeUndefined();
    expect(pathProblem("/srv/app/")).toBeUndefined();
  });
  it("refuses relative, climbing, unnormalized and control-character paths", () => {
    expect(pathProblem("srv/app")).toContain("absolute");
    expect(pathProblem("/srv/../etc")).toContain("'..'");
    expect(pathProblem("/srv/./app")).toContain("normalized");
    expect(pathProblem("/srv//app")).toContain('write "/srv/app"');
    expect(pathProblem("/srv/app\n")).toContain("newline");
    expect(pathProblem("/srv/\0app")).toContain("NUL");
  });
});
