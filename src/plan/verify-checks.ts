/**
 * A workload's `verify` is a list of checks, or `{ full, checks }` when the cutover must hash
 * every file on the target (audits). Readers go through these two, so both forms read alike.
 */
import type { PlanPath } from "./diagnostics.ts";
import type { Check, Workload } from "./schema.ts";

export function verifyChecks(workload: Pick<Workload, "verify">): Check[] {
  return Array.isArray(workload.verify) ? workload.verify : workload.verify.checks;
}

export function verifyFull(workload: Pick<Workload, "verify">): boolean {
  return !Array.isArray(workload.verify) && workload.verify.full;
}

/** Where check `index` sits in the plan, for diagnostics. */
export function verifyCheckPath(workload: Pick<Workload, "verify">, index: number): PlanPath {
  return Array.isArray(workload.verify) ? ["verify", index] : ["verify", "checks", index];
}
