import { describe, expect, it } from "vitest";
import { findCycles, type Graph, topologicalOrder } from "../../../src/graph/dag.ts";
import { groupWaves } from "../../../src/graph/waves.ts";

function graph(edges: Record<string, string[]>): Graph {
  return { nodes: Object.keys(edges), edges: (n) => edges[n] ?? [] };
}

describe("findCycles", () => {
  it("finds none in a DAG", () => {
    expect(findCycles(graph({ a: [], b: ["a"], c: ["a", "b"] }))).toEqual([]);
  });
  it("reports each cycle as a closed path from its earliest node", () => {
    expect(findCycles(graph({ x: [], a: ["b"], b: ["c"], c: ["a"], d: ["d"] }))).toEqual([
      ["a", "b", "c", "a"],
      ["d", "d"],
    ]);
  });
  it("reports separate cycles separately", () => {
    expect(findCycles(graph({ a: ["b"], b: ["a"], c: ["d"], d: ["c"] }))).toEqual([
      ["a", "b", "a"],
      ["c", "d", "c"],
    ]);
  });
  it("ignores edges to unknown nodes", () => {
    expect(findCycles(graph({ a: ["zz"] }))).toEqual([]);
  });
  it("handles a 20,000-node chain without overflowing the stack", () => {
    const edges: Record<string, string[]> = {};
    for (let i = 0; i < 20_000; i++) edges[`n${i}`] = i === 0 ? ["n19999"] : [`n${i - 1}`];
    const [cycle] = findCycles(graph(edges));
    expect(cycle?.length).toBe(20_001);
  });
});

describe("topologicalOrder", () => {
  it("puts dependencies first and keeps input order otherwise", () => {
    expect(topologicalOrder(graph({ c: ["a"], b: [], a: [] }))).toEqual(["b", "a", "c"]);
  });
  it("appends nodes on cycles last instead of dropping them", () => {
    expect(topologicalOrder(graph({ a: ["b"], b: ["a"], c: [] }))).toEqual(["c", "a", "b"]);
  });
});

describe("groupWaves", () => {
  it("orders waves ascending and members by dependency", () => {
    const waves = groupWaves([
      { name: "late", wave: 3, dependsOn: [] },
      { name: "app", wave: 1, dependsOn: ["db"] },
      { name: "db", wave: 1, dependsOn: [] },
    ]);
    expect(waves.map((w) => [w.wave, w.members.map((m) => m.name)])).toEqual([
      [1, ["db", "app"]],
      [3, ["late"]],
    ]);
  });
});
