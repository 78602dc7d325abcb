import { describe, expect, it } from "vitest";
import { DURATION, parseDurationMs } from "../../../src/plan/duration.ts";
import { planJsonSchema } from "../../../src/plan/json-schema.ts";

describe("durations", () => {
  it("reads every unit the plan accepts", () => {
    expect(parseDurationMs("500ms")).toBe(500);
    expect(parseDurationMs("250ms")).toBe(250);
    expect(parseDurationMs("90s")).toBe(90_000);
    expect(parseDurationMs("15m")).toBe(900_000);
    expect(parseDurationMs("2h")).toBe(7_200_000);
    expect(parseDurationMs("0s")).toBe(0);
  });

  it("reads the edges the schema lets through: zero, leading zeros, large counts", () => {
    expect(parseDurationMs("0ms")).toBe(0);
    expect(parseDurationMs("007s")).toBe(7_000);
    expect(parseDurationMs("1000000h")).toBe(3_600_000_000_000);
    expect(parseDurationMs("1ms")).toBe(1);
  });

  it("refuses anything that is not a whole number and one unit", () => {
    for (const text of [
      "",
      "15",
      "m",
      "1.5h",
      "15 m",
      "-1s",
      "+1s",
      "15min",
      "2d",
      " 2h",
      "2h ",
      "1h30m",
      "2H",
      "90S",
      "1e3s",
      "١٢s",
    ])
      expect(() => parseDurationMs(text), text).toThrow(new RangeError(`not a duration: ${text}`));
  });

  it("is the pattern the published JSON Schema gives downtimeBudget", () => {
    expect(JSON.stringify(planJsonSchema())).toContain(JSON.stringify(DURATION.source));
  });
});
