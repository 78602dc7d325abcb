/** dependsOn is acyclic (the cycle is reported as a path) and never points to a later wave. */
import { findCycles } from "../../graph/dag.ts";
import type { Finding } from "../diagnostics.ts";
import { error, type Rule } from "./context.ts";

export const dependencies: Rule = (context) => {
  const out: Finding[] = [];
  const { workloads } = context.plan;
  const byName = new Map<string, number>();
  workloads.forEach((w, i) => {
    if (!byName.has(w.name)) byName.set(w.name, i);
  });
  workloads.forEach((w, i) => {
    w.dependsOn.forEach((dep, d) => {
      const path = context.workloadPath(i, "dependsOn", d);
      if (dep === w.name) {
        out.push(error("cycle", `workload "${w.name}" depends on itself`, path));
        return;
      }
      const j = byName.get(dep);
      const other = j === undefined ? undefined : workloads[j];
      if (other && other.wave > w.wave) {
        out.push(
          error(
            "later-wave",
            `"${w.name}" (wave ${w.wave}) depends on "${dep}", which is in the later wave ${other.wave}`,
            path,
            `move "${dep}" to wave ${w.wave} or earlier, or "${w.name}" to wave ${other.wave} or later`,
          ),
        );
      }
    });
  });
  const graph = {
    nodes: [...byName.keys()],
    edges: (name: string) => (workloads[byName.get(name)!]?.dependsOn ?? []).filter((d) => d !== name),
  };
  for (const cycle of findCycles(graph)) {
    const [first, second] = cycle;
    const i = byName.get(first!)!;
    const d = workloads[i]!.dependsOn.indexOf(second!);
    out.push(
      error("cycle", `dependency cycle: ${cycle.join(" -> ")}`, context.workloadPath(i, "dependsOn", d)),
    );
  }
  return out;
};
