/** Collect one host's facts in one round trip: run the inventory script, split, parse. */
import { RemoteError } from "../errors.ts";
import type { Remote } from "../remote/types.ts";
import { scanArchives } from "./archive-scan.ts";
import { type HostInventory, hostFactsFrom } from "./host-facts.ts";
import { type ArchiveFound, NATIVE_LIST_LIMIT } from "./parse-scan.ts";
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
    // Java archives' directories travel as hex; a large application server's lib/ is many MiB.
    maxBuffer: 64 * 1024 * 1024,
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
  const archives: ArchiveFound[] = [];
  const facts = hostFactsFrom(identity, sections, target.inputs.paths, 0, archives);
  if (archives.length > 0 && facts.portability) {
    const left = Math.max(1000, options.timeoutMs - (performance.now() - started));
    const found = await scanArchives(remote, archives, {
      timeoutMs: left,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    // Each archive's findings go to the scanned path it was found under.
    const scans = Object.entries(facts.portability.paths);
    const scanOf = (file: string) =>
      scans.find(([path]) => file === path || file.startsWith(path.endsWith("/") ? path : `${path}/`))?.[1];
    for (const member of found.native) scanOf(member.path)?.native.push(member);
    for (const archive of found.unread) {
      const scan = scanOf(archive);
      if (scan) scan.truncated = true;
    }
  }
  for (const scan of Object.values(facts.portability?.paths ?? {})) {
    scan.nativeCount = scan.native.length;
    scan.machines = {};
    for (const file of scan.native) scan.machines[file.machine] = (scan.machines[file.machine] ?? 0) + 1;
    scan.native = scan.native.slice(0, NATIVE_LIST_LIMIT);
  }
  facts.durationMs = Math.round(performance.now() - started);
  return facts;
}
