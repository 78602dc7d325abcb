/**
 * Issue 11 items 3 and 4 (pure part): the cutover's checkpoint says how far an interrupted
 * cutover got, and the engine reads only that (none / frozen / switched) to decide what a
 * closed window means on resume.
 */
import { describe, expect, it } from "vitest";
import { cutoverProgress } from "../../../src/steps/cutover.ts";
import { reached, readCutoverCheckpoint } from "../../../src/steps/cutover-checkpoint.ts";

const at = "2026-12-01T06:00:00.000Z";

describe("cutover checkpoint", () => {
  it("reads a checkpoint an older migrate wrote (frozenAt only) as frozen", () => {
    expect(readCutoverCheckpoint({ frozenAt: at })).toEqual({ phase: "frozen", frozenAt: at });
    expect(readCutoverCheckpoint(undefined)).toBeUndefined();
  });

  it("orders the phases", () => {
    const state = readCutoverCheckpoint({ phase: "started", frozenAt: at });
    expect(reached(state, "restored")).toBe(true);
    expect(reached(state, "started")).toBe(true);
    expect(reached(state, "switching")).toBe(false);
  });

  it("counts a switch as possibly sent from the moment it is journaled as switching", () => {
    expect(cutoverProgress(undefined)).toBe("none");
    expect(cutoverProgress({ frozenAt: at })).toBe("frozen");
    expect(cutoverProgress({ phase: "started", frozenAt: at })).toBe("frozen");
    expect(cutoverProgress({ phase: "switching", frozenAt: at })).toBe("switched");
    expect(cutoverProgress({ phase: "switched", frozenAt: at, switchedAt: at })).toBe("switched");
  });
});
