/**
 * Maintenance windows and downtime budgets as apply decides them: a cutover starts only inside
 * [start, end), and budgets are read in the unit the plan wrote.
 */
import { describe, expect, it } from "vitest";
import { downtimeBudgetMs, windowRefusal } from "../../../../src/engine/planning/window.ts";
import { makePlan } from "../fixtures.ts";

const window = { start: "2026-12-05T22:00+08:00", end: "2026-12-06T04:00+08:00" };
const ZONE = "Asia/Shanghai";
/** The window as a person reads it, in the plan's zone. */
const SHOWN = "2026-12-05 22:00 – 2026-12-06 04:00 +08:00";
const [workload] = makePlan([{ name: "a", window, downtimeBudget: "15m" }]).workloads;
const at = (iso: string) => new Date(iso);

describe("maintenance window", () => {
  it("refuses a cutover before the window opens, up to the last millisecond", () => {
    for (const [now, local] of [
      ["2026-12-05T13:00:00.000Z", "2026-12-05 21:00"],
      ["2026-12-05T13:59:59.999Z", "2026-12-05 21:59"],
    ]) {
      expect(windowRefusal(workload!, at(now!), ZONE)).toBe(
        `cutover refused: the maintenance window ${SHOWN} has not opened yet (now ${local} +08:00); rerun inside the window or pass --ignore-window`,
      );
    }
  });

  it("accepts a cutover from the opening instant to the last millisecond before the end", () => {
    for (const now of ["2026-12-05T14:00:00.000Z", "2026-12-05T17:00:00.000Z", "2026-12-05T19:59:59.999Z"])
      expect(windowRefusal(workload!, at(now), ZONE)).toBeUndefined();
  });

  it("refuses a cutover from the closing instant on, including within the next hour", () => {
    for (const [now, local] of [
      ["2026-12-05T20:00:00.000Z", "2026-12-06 04:00"],
      ["2026-12-05T20:30:00.000Z", "2026-12-06 04:30"],
      ["2026-12-05T21:00:00.000Z", "2026-12-06 05:00"],
    ]) {
      expect(windowRefusal(workload!, at(now!), ZONE)).toBe(
        `cutover refused: the maintenance window ${SHOWN} has closed (now ${local} +08:00); rerun inside the window or pass --ignore-window`,
      );
    }
  });

  it("places no limit on a workload without a window", () => {
    const [free] = makePlan([{ name: "b" }]).workloads;
    expect(windowRefusal(free!, at("1999-01-01T00:00:00Z"), ZONE)).toBeUndefined();
    expect(downtimeBudgetMs(free!)).toBeUndefined();
  });
});

describe("downtime budgets", () => {
  it("reads the workload's budget in milliseconds", () => {
    expect(downtimeBudgetMs(workload!)).toBe(900_000);
  });
});
