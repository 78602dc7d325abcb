/**
 * Collect every target's facts in parallel; a host that fails is recorded with its reason while
 * the others finish. Kept apart from the report (drift, locations) so collection can start
 * before the plan's validator and its schema library are even loaded.
 */
import { isMigrateError } from "../errors.ts";
import type { Remote } from "../remote/types.ts";
import { collectHost } from "./collect.ts";
import type { HostError, HostInventory } from "./host-facts.ts";
import type { InventoryTarget } from "./targets.ts";

export interface CollectAllOptions {
  remote(hostName: string): Remote;
  signal?: AbortSignal;
  /** Deadline per host (connect + script). */
  timeoutMs?: number;
  /** Progress for the operator's view: a host is being asked, and how that ended. */
  onHostStart?(hostName: string): void;
  onHostEnd?(hostName: string, ok: boolean, detail?: string): void;
}

function hostError(error: unknown): HostError {
  if (isMigrateError(error)) {
    return { kind: error.kind, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  }
  return { kind: "bug", message: error instanceof Error ? error.message : String(error) };
}

export async function collectAll(
  targets: readonly InventoryTarget[],
  options: CollectAllOptions,
): Promise<Record<string, HostInventory>> {
  const results = await Promise.all(
    targets.map(async (target): Promise<[string, HostInventory]> => {
      const started = performance.now();
      options.onHostStart?.(target.host.name);
      try {
        const facts = await collectHost(options.remote(target.host.name), target, {
          timeoutMs: options.timeoutMs ?? 120_000,
          ...(options.signal ? { signal: options.signal } : {}),
        });
        options.onHostEnd?.(target.host.name, true);
        return [target.host.name, facts];
      } catch (error) {
        // Cancellation stops the whole inventory; any other failure is this host's alone.
        if (options.signal?.aborted) throw error;
        options.onHostEnd?.(target.host.name, false, hostError(error).message);
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
