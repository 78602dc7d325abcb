/** Collect one host's facts in one round trip: run the inventory script, split, parse. */
import { RemoteError } from "../errors.ts";
import type { Remote } from "../remote/types.ts";
import { type HostInventory, hostFactsFrom } from "./host-facts.ts";
import { inventoryCommand, newNonce } from "./script.ts";
import { splitSections } from "./sections.ts";
import type { InventoryTarget } from "./targets.ts";

export interface CollectOptions {
  signal?: AbortSignal;
  /** Deadline for the whole script on one host. */
  timeoutMs: number;
}

export async function collectHost(
  remote: Remote,
  target: InventoryTarget,
  options: CollectOptions,
): Promise<HostInventory> {
  const started = performance.now();
  const nonce = newNonce();
  const command = inventoryCommand(target.inputs, nonce);
  const result = await remote.run(command, {
    timeoutMs: options.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const sections = splitSections(result.stdout, nonce);
  const failure = {
    host: target.host.name,
    command: "inventory script",
    exitCode: result.exitCode,
    signal: result.signal,
    stderrTail: result.stderr.slice(-2000),
  };
  if (result.timedOut) {
    throw new RemoteError(
      "timeout",
      `inventory of ${target.host.name} timed out after ${options.timeoutMs} ms`,
      failure,
    );
  }
  // The last marker proves the script ran to its end; anything less is not a usable inventory.
  if (sections.at(-1)?.name !== "end") {
    const why = result.stderr.trim().split("\n").slice(-2).join(" / ") || `exit code ${result.exitCode}`;
    throw new RemoteError(
      "remote",
      `inventory script did not complete on ${target.host.name}: ${why}`,
      failure,
    );
  }
  const identity = {
    role: target.role,
    address: target.host.address,
    port: target.host.port,
    ...(target.host.via ? { via: target.host.via } : {}),
    ...(target.tenant ? { tenant: target.tenant } : {}),
  };
  return hostFactsFrom(identity, sections, target.inputs.paths, Math.round(performance.now() - started));
}
