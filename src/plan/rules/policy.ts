/**
 * Security policy: never move a system into a tenant accredited below its MLPS classification or
 * into a less protected network zone; refuse level 5 outright; never lift non-portable binaries
 * onto another CPU architecture (信创 tenants may run aarch64, loongarch64, ...). With an
 * inventory's portability scan, the declaration is checked against what the source carries.
 */
import type { Finding } from "../diagnostics.ts";
import { normalizeArch } from "../inventory-facts.ts";
import { firstStep, portabilityFindings } from "../portability-findings.ts";
import { ZONE_RANK } from "../schema.ts";
import { error, type Rule } from "./context.ts";

/** Without inventory facts, sources are assumed to be x86_64 (the README documents this). */
export const ASSUMED_SOURCE_ARCH = "x86_64";

export const policy: Rule = (context) => {
  const out: Finding[] = [];
  context.plan.workloads.forEach((w, i) => {
    if (w.classification === 5) {
      out.push(
        error(
          "classified",
          `workload "${w.name}" is classification level 5 (classified): migrate refuses to move classified systems`,
          context.workloadPath(i, "classification"),
          "classified systems stay on their separated network; remove this workload from the plan",
        ),
      );
    }
    const tenant = context.hosts.get(w.target)?.tenant;
    if (tenant === undefined) return;
    if (w.classification !== 5 && w.classification > tenant.maxClassification) {
      out.push(
        error(
          "classification",
          `workload "${w.name}" is MLPS level ${w.classification} but tenant "${tenant.name}" is accredited only up to level ${tenant.maxClassification}`,
          context.workloadPath(i, "classification"),
          `choose a target in a tenant with maxClassification >= ${w.classification}`,
        ),
      );
    }
    if (ZONE_RANK[w.zone] > ZONE_RANK[tenant.zone]) {
      out.push(
        error(
          "zone",
          `workload "${w.name}" belongs in zone ${w.zone} but tenant "${tenant.name}" is in the less protected zone ${tenant.zone} (internet < egov-extranet < egov-intranet)`,
          context.workloadPath(i, "zone"),
          `choose a target in a tenant whose zone is ${w.zone} or more protected`,
        ),
      );
    }
    // Measured portability (the inventory's scan) is checked against the declaration.
    const scan = context.inventory?.workloads?.[w.name];
    if (scan) out.push(...portabilityFindings(w, tenant, scan, context.workloadPath(i)));
    if (w.portable || !context.hosts.has(w.source)) return;
    const facts = context.inventory?.hosts[w.source]?.arch;
    const sourceArch = facts === undefined ? ASSUMED_SOURCE_ARCH : normalizeArch(facts);
    if (sourceArch !== tenant.arch) {
      const known = facts === undefined ? " (assumed: no inventory given)" : " (from inventory)";
      const step = firstStep(scan, tenant.arch);
      out.push(
        error(
          "arch",
          `workload "${w.name}" is not portable but moves from ${sourceArch}${known} source "${w.source}" to ${tenant.arch} tenant "${tenant.name}"; CPU-specific binaries will not run there`,
          context.workloadPath(i, "target"),
          facts === undefined
            ? "run `migrate inventory` and pass --inventory to check the real architecture; set portable: true only if nothing is CPU-specific"
            : step
              ? `first step: ${step}; then set portable: true, or choose a ${sourceArch} tenant`
              : `rebuild for ${tenant.arch} and set portable: true, or choose a ${sourceArch} tenant`,
        ),
      );
    }
  });
  return out;
};
