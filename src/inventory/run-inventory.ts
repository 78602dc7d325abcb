/**
 * The inventory report: facts collected from every host (collect-all.ts) plus drift against the
 * plan as located diagnostics. This is the JSON `--out` writes and `--inventory` reads.
 */
import type { Diagnostic } from "../plan/diagnostics.ts";
import type { LoadedPlan } from "../plan/load.ts";
import { driftFindings } from "./drift.ts";
import type { HostInventory } from "./host-facts.ts";
import { locateFindings } from "./locate-findings.ts";

export const INVENTORY_VERSION = 1;

export interface InventoryReport {
  version: typeof INVENTORY_VERSION;
  plan: string;
  planHash: string;
  collectedAt: string;
  durationMs: number;
  hosts: Record<string, HostInventory>;
  diagnostics: Diagnostic[];
}

/** Drift and the report from collected facts. */
export function inventoryReport(
  loaded: LoadedPlan,
  hosts: Record<string, HostInventory>,
  timing: { collectedAt: string; durationMs: number },
): InventoryReport {
  const diagnostics = locateFindings(loaded.file, loaded.text, driftFindings(loaded.plan, hosts));
  return {
    version: INVENTORY_VERSION,
    plan: loaded.file,
    planHash: loaded.hash,
    ...timing,
    hosts,
    diagnostics,
  };
}
