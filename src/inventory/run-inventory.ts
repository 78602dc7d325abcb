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
import { inventoryTargets } from "./targets.ts";

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

export interface InventoryOptions {
  remote(hostName: string): Remote;
  signal?: AbortSignal;
  /** Deadline per host (connect + script). */
  timeoutMs?: number;
  now?: () => Date;
}

function hostError(error: unknown): HostError {
  if (isMigrateError(error)) {
    return { kind: error.kind, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  }
  return { kind: "bug", message: error instanceof Error ? error.message : String(error) };
}

export async function runInventory(loaded: LoadedPlan, options: InventoryOptions): Promise<InventoryReport> {
  const started = performance.now();
  const collectedAt = (options.now?.() ?? new Date()).toISOString();
  const targets = inventoryTargets(loaded.plan);
  const results = await Promise.all(
    targets.map(async (target): Promise<[string, HostInventory]> => {
      const hostStarted = performance.now();
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
            durationMs: Math.round(performance.now() - hostStarted),
          },
        ];
      }
    }),
  );
  const hosts = Object.fromEntries(results);
  const diagnostics = locateFindings(loaded.file, loaded.text, driftFindings(loaded.plan, hosts));
  return {
    version: INVENTORY_VERSION,
    plan: loaded.file,
    planHash: loaded.hash,
    collectedAt,
    durationMs: Math.round(performance.now() - started),
    hosts,
    diagnostics,
  };
}
