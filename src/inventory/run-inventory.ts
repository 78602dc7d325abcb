/**
 * `migrate inventory` core: every plan host in parallel, one round trip each; an unreachable
 * host is recorded with its reason while the others finish; drift becomes located diagnostics.
 */
import { isMigrateError } from "../errors.ts";
import type { Diagnostic } from "../plan/diagnostics.ts";
import type { LoadedPlan } from "../plan/load.ts";
import type { Remote } from "../remote/types.ts";
import { collectHost } from "./collect.ts";
import { driftFindings } from "./drift.ts";
import type { HostError, HostInventory } from "./host-facts.ts";
import { locateFindings } from "./locate-findings.ts";
import { type InventoryTarget, inventoryTargets } from "./targets.ts";

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

export interface CollectAllOptions {
  remote(hostName: string): Remote;
  signal?: AbortSignal;
  /** Deadline per host (connect + script). */
  timeoutMs?: number;
}

export interface InventoryOptions extends CollectAllOptions {
  now?: () => Date;
}

function hostError(error: unknown): HostError {
  if (isMigrateError(error)) {
    return { kind: error.kind, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  }
  return { kind: "bug", message: error instanceof Error ? error.message : String(error) };
}

/** Facts of every target, in parallel; a host that fails is recorded with its reason. */
export async function collectAll(
  targets: readonly InventoryTarget[],
  options: CollectAllOptions,
): Promise<Record<string, HostInventory>> {
  const results = await Promise.all(
    targets.map(async (target): Promise<[string, HostInventory]> => {
      const started = performance.now();
      try {
        const facts = await collectHost(options.remote(target.host.name), target, {
          timeoutMs: options.timeoutMs ?? 120_000,
          ...(options.signal ? { signal: options.signal } : {}),
        });
        return [target.host.name, facts];
      } catch (error) {
        // Cancellation stops the whole inventory; any other failure is this host's alone.
        if (options.signal?.aborted) throw error;
        return [
          target.host.name,
          {
            role: target.role,
            address: target.host.address,
            port: target.host.port,
            ...(target.host.via ? { via: target.host.via } : {}),
            ...(target.tenant ? { tenant: target.tenant } : {}),
            ok: false,
            error: hostError(error),
            durationMs: Math.round(performance.now() - started),
          },
        ];
      }
    }),
  );
  return Object.fromEntries(results);
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

export async function runInventory(loaded: LoadedPlan, options: InventoryOptions): Promise<InventoryReport> {
  const started = performance.now();
  const collectedAt = (options.now?.() ?? new Date()).toISOString();
  const hosts = await collectAll(inventoryTargets(loaded.plan), options);
  return inventoryReport(loaded, hosts, { collectedAt, durationMs: Math.round(performance.now() - started) });
}
