import { describe, expect, it } from "vitest";
import { formatTransfer } from "../../../src/render/format.ts";
import { byBureau, initialState, reduce, totals } from "../../../src/render/run-state.ts";
import { SCENARIO_WORKLOADS, scenario, stamped } from "../../support/event-scenario.ts";
import { OUTPUTS } from "../../support/step-outputs.ts";

describe("run state", () => {
  it("folds a whole run into final statuses, bytes moved and downtime", () => {
    const state = initialState(SCENARIO_WORKLOADS);
    for (const event of stamped(scenario({ transferSteps: 5 }))) reduce(state, event);
    const t = totals(state);
    expect(t.planned).toBe(4);
    expect(t.counts.succeeded).toBe(3);
    expect(t.counts["rolled-back"]).toBe(1);
    expect(t.bytesMoved).toBe(2.5 * 1024 ** 3);
    expect(state.workloads.get("finance-portal")?.downtimeMs).toBe(650);
    expect(state.workloads.get("housing-fund")?.reason).toBe("verify: returned 502");
    expect(state.workloads.get("housing-fund")?.hint).toBe(
      "check the target's application log; the source serves again after the rollback",
    );
    expect(state.workloads.get("finance-portal")?.hint).toBeUndefined();
    expect(state.status).toBe("succeeded");
    expect(state.finished).toEqual(["finance-portal", "housing-fund", "land-revenue", "drug-approvals"]);
    expect([...state.waves.values()]).toEqual(["done", "done"]);
  });

  it("tracks the current step, its progress and the cutover freeze while running", () => {
    const events = stamped(scenario({ transferSteps: 4 }));
    const state = initialState(SCENARIO_WORKLOADS);
    const upTo = events.findIndex((e) => e.type === "step-progress" && e.bytesDone > 2 * 1024 ** 3);
    for (const event of events.slice(0, upTo + 1)) reduce(state, event);
    const land = state.workloads.get("land-revenue");
    expect(land?.status).toBe("running");
    expect(land?.step).toBe("transfer");
    expect(land?.progress?.bytesTotal).toBe(2.5 * 1024 ** 3);
    expect(state.waves.get(1)).toBe("running");
    expect(state.waves.get(2)).toBe("pending");
    const freeze = events.findIndex((e) => e.type === "cutover-freeze");
    for (const event of events.slice(upTo + 1, freeze + 1)) reduce(state, event);
    expect(state.workloads.get("finance-portal")?.frozenAt).toBe(Date.parse(events[freeze]!.at));
  });

  it("shows what the transfer found in place while it runs and on the finished line", () => {
    const state = initialState();
    const at = "2026-12-05T14:00:00.000Z";
    const progress = { bytesDone: 10, bytesTotal: 100, filesDone: 1, filesTotal: 4, rateBps: 5 };
    reduce(state, {
      type: "step-progress",
      workload: "w",
      step: "transfer",
      ...progress,
      bytesInPlace: 3 * 1024 ** 3,
      at,
    });
    expect(state.workloads.get("w")?.progress?.bytesInPlace).toBe(3 * 1024 ** 3);
    expect(formatTransfer(state.workloads.get("w")!.progress!)).toMatch(/ · 3\.00 GiB already in place$/);
    expect(formatTransfer(progress)).not.toMatch(/in place/);
    reduce(state, {
      type: "step-end",
      workload: "w",
      step: "transfer",
      durationMs: 5,
      outputs: { ...OUTPUTS.transfer, bytesSent: 100, bytesInPlace: 3 * 1024 ** 3 },
      at,
    });
    expect(state.workloads.get("w")).toMatchObject({ bytesMoved: 100, bytesInPlace: 3 * 1024 ** 3 });
  });

  it("derives downtime from the freeze when workload-end does not carry it", () => {
    const state = initialState();
    reduce(state, { type: "cutover-freeze", workload: "w", at: "2026-12-05T14:00:00.000Z" });
    reduce(state, {
      type: "workload-end",
      workload: "w",
      status: "succeeded",
      at: "2026-12-05T14:00:42.000Z",
    });
    expect(state.workloads.get("w")?.downtimeMs).toBe(42_000);
    expect(state.workloads.get("w")?.bureau).toBe("(unknown bureau)");
  });

  it("counts bytes the transfer and the final sync sent, not the snapshot's source size", () => {
    const state = initialState();
    const at = "2026-12-05T14:00:00.000Z";
    reduce(state, {
      type: "step-end",
      workload: "w",
      step: "snapshot",
      durationMs: 1,
      outputs: { ...OUTPUTS.snapshot, bytes: 999 },
      at,
    });
    reduce(state, {
      type: "step-end",
      workload: "w",
      step: "transfer",
      durationMs: 1,
      outputs: { ...OUTPUTS.transfer, bytesSent: 10, bytesInPlace: 0 },
      at,
    });
    const delta = { ...OUTPUTS.cutover, delta: { bytesSent: 5 } };
    reduce(state, { type: "step-end", workload: "w", step: "cutover", durationMs: 1, outputs: delta, at });
    expect(totals(state).bytesMoved).toBe(15);
  });

  it("groups workloads by bureau in name order", () => {
    const state = initialState(SCENARIO_WORKLOADS);
    const groups = byBureau(state.workloads.values()).map(([b, v]) => [b, v.map((x) => x.name)]);
    expect(groups).toEqual([
      ["finance", ["finance-portal", "land-revenue"]],
      ["food-and-drug", ["drug-approvals"]],
      ["housing-fund-centre", ["housing-fund"]],
    ]);
  });
});
