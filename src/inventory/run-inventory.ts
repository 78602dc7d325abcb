/**
 * The inventory report: facts collected from every host (collect-all.ts) plus drift against the
 * plan as located diagnostics. This is the JSON `--out` writes and `--inventory` reads.
 */
import type { Diagnostic } from "../plan/diagnostics.ts";
import type { LoadedPlan } from "../plan/load.ts";
import type { WorkloadPortability } from "../plan/portability-facts.ts";
import type { DatabasePreflightFact } from "../plan/replication-facts.ts";
import { driftFindings } from "./drift.ts";
import type { HostInventory } from "./host-facts.ts";
import { locateFindings } from "./locate-findings.ts";
import { workloadPortability } from "./workload-portability.ts";

export const INVENTORY_VERSION = 1;

export interface InventoryReport {
  version: typeof INVENTORY_VERSION;
  plan: string;
  planHash: string;
  collectedAt: string;
  durationMs: number;
  hosts: Record<string, HostInventory>;
  /** The portability scan per workload (its source's findings under its paths and services). */
  workloads: Record<string, WorkloadPortability>;
  /** The replication preflight of each database that would replicate; `plan --inventory` reads it. */
  replication?: DatabasePreflightFact[];
  diagnostics: Diagnostic[];
}

/** Drift and the report from collected facts. */
export function inventoryReport(
  loaded: LoadedPlan,
  hosts: Record<string, HostInventory>,
  timing: { collectedAt: string; durationMs: number },
): InventoryReport {
  const workloads = workloadPortability(loaded.plan, hosts);
  const diagnostics = locateFindings(loaded.file, loaded.text, driftFindings(loaded.plan, hosts, workloads));
  return {
    version: INVENTORY_VERSION,
    plan: loaded.file,
    planHash: loaded.hash,
    ...timing,
    hosts,
    workloads,
    diagnostics,
  };
}
