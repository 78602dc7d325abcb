/**
 * Issue 11 items 3 and 4 (pure part): the cutover's checkpoint says how far an interrupted
 * cutover got, and the engine reads only that (none / frozen / switched) to decide what a
 * closed window means on resume.
 */
import { describe, expect, it } from "vitest";
import { cutoverProgress } from "../../../src/steps/cutover.ts";
import { CutoverCheckpoint, reached } from "../../../src/steps/cutover-checkpoint.ts";

const at = "2026-12-01T06:00:00.000Z";

describe("cutover checkpoint", () => {
  it("reads a checkpoint an older migrate wrote (frozenAt only) as frozen", () => {
    expect(CutoverCheckpoint.parse({ frozenAt: at })).toEqual({ phase: "frozen", frozenAt: at });
  });

  it("orders the phases", () => {
    const state = CutoverCheckpoint.parse({ phase: "started", frozenAt: at });
    expect(reached(state, "restored")).toBe(true);
    expect(reached(state, "started")).toBe(true);
    expect(reached(state, "switching")).toBe(false);
  });

  it("counts a switch as possibly sent from the moment it is journaled as switching", () => {
    expect(cutoverProgress(undefined)).toBe("none");
    expect(cutoverProgress(CutoverCheckpoint.parse({ frozenAt: at }))).toBe("frozen");
    expect(cutoverProgress({ phase: "started", frozenAt: at })).toBe("frozen");
    expect(cutoverProgress({ phase: "switching", frozenAt: at })).toBe("switched");
    expect(cutoverProgress({ phase: "switched", frozenAt: at, switchedAt: at })).toBe("switched");
  });
});
