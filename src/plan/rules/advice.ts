/** Warnings: plans that will work but are probably not what the author meant. Never fail validation. */
import type { Finding } from "../diagnostics.ts";
import { verifyChecks } from "../verify-checks.ts";
import { type Rule, warning } from "./context.ts";

export const advice: Rule = (context) => {
  const out: Finding[] = [];
  const waves = new Set(context.plan.workloads.map((w) => w.wave));
  context.plan.workloads.forEach((w, i) => {
    if (context.skipped.repaired.has(w.name)) return;
    if (verifyChecks(w).length === 0) {
      out.push(
        warning(
          "no-verify",
          `workload "${w.name}" has no verify checks; only file manifests will be compared before the source is retired`,
          context.workloadPath(i, "name"),
        ),
      );
    }
    if (!w.window && (w.databases.length > 0 || w.cutover)) {
      const why = w.databases.length > 0 ? "has a database" : "has a cutover";
      out.push(
        warning(
          "no-window",
          `workload "${w.name}" ${why} but no maintenance window; apply will cut over whenever it gets there`,
          context.workloadPath(i, "name"),
        ),
      );
    }
    if (w.cutover && w.services.length === 0) {
      out.push(
        warning(
          "no-freeze",
          `workload "${w.name}" has a cutover but no services, so the source is never frozen; writes after the final sync are lost`,
          context.workloadPath(i, "name"),
          "list the source's services (systemd units) under services",
        ),
      );
    }
    if (w.paths.length === 0 && w.databases.length === 0) {
      out.push(
        warning(
          "nothing-to-move",
          `workload "${w.name}" lists no paths and no databases; nothing will be transferred`,
          context.workloadPath(i, "name"),
        ),
      );
    }
    const deps = new Set<string>();
    w.dependsOn.forEach((dep, d) => {
      if (deps.has(dep))
        out.push(
          warning(
            "duplicate-dependency",
            `"${dep}" is listed twice in dependsOn`,
            context.workloadPath(i, "dependsOn", d),
          ),
        );
      deps.add(dep);
    });
  });
  if (context.skipped.workloads.size > 0) return out;
  const highest = Math.max(0, ...waves);
  for (let wave = 1; wave < highest; wave++) {
    if (!waves.has(wave))
      out.push(
        warning("empty-wave", `wave ${wave} has no workloads (waves go up to ${highest})`, ["workloads"]),
      );
  }
  return out;
};
