/**
 * `migrate plan`'s replication preflight: asks the hosts (read-only) when it can, so plan shows
 * the mode apply would choose with the findings. A host whose key is not known yet is not asked
 * at all (plan never records a key, and an example plan's addresses get no traffic), nor any
 * host with --offline; the databases then say the preflight did not run, and why. An inventory
 * given with --inventory fills in what the hosts could not say, labelled as such.
 */
import type { PreflightFacts } from "../engine/planning/plan-databases.ts";
import type { InventoryFacts } from "../plan/inventory-facts.ts";
import { type DatabasePreflightFact, preflightKey } from "../plan/replication-facts.ts";
import type { Host, Plan } from "../plan/schema.ts";
import type { ReplicationState } from "../steps/db/replication/types.ts";

/** How long plan waits for one host's SSH handshake before calling it unreachable. */
const PLAN_CONNECT_MS = 5000;

export interface PlanPreflightOptions {
  offline: boolean;
  inventory: InventoryFacts | undefined;
  /** Workloads with work left (done ones are not asked). */
  workloads: readonly Plan["workloads"][number][];
  running: ReadonlyMap<string, ReplicationState>;
  signal: AbortSignal;
}

async function unknownKeys(plan: Plan, names: readonly string[]): Promise<Map<string, string>> {
  const [{ planHosts, defaultKnownHostsFile }, { knownHostName, knownKeyTypes, readKnownHosts }] =
    await Promise.all([import("../remote/pool.ts"), import("../remote/known-hosts.ts")]);
  const hosts = new Map(planHosts(plan).map((host) => [host.name, host]));
  const file = defaultKnownHostsFile();
  const entries = await readKnownHosts(file);
  const known = (host: Host) =>
    host.hostKey !== undefined || knownKeyTypes(entries, knownHostName(host.address, host.port)).length > 0;
  const skip = new Map<string, string>();
  for (const name of names) {
    // The host and every bastion in front of it.
    for (let host = hosts.get(name); host; host = host.via ? hosts.get(host.via) : undefined) {
      if (known(host)) continue;
      skip.set(
        name,
        `host key of ${host.name} not known (not pinned, not in ${file}); \`migrate inventory --accept-new-host-keys\` records it after you verify it`,
      );
      break;
    }
  }
  return skip;
}

/** The preflight's facts for planRun: from the hosts, else the inventory, else "not run". */
export async function planPreflight(plan: Plan, options: PlanPreflightOptions): Promise<PreflightFacts> {
  const { preflightFacts } = await import("../engine/planning/plan-databases.ts");
  const recorded = options.inventory?.replication ?? [];
  const inventory = (fact: DatabasePreflightFact) => ({ fact, from: "inventory" as const });
  if (options.offline) return preflightFacts(recorded.map(inventory), "--offline: no host was asked");
  const { probeReplication, replicationCandidate } = await import("../engine/planning/replication-probe.ts");
  const workloads = options.workloads.filter((w) => w.databases.some(replicationCandidate));
  if (workloads.length === 0) return preflightFacts([]);
  const names = [...new Set(workloads.flatMap((w) => [w.source, w.target]))];
  const skip = await unknownKeys(plan, names);
  const { SshPool, planHosts } = await import("../remote/pool.ts");
  const pool = new SshPool({
    hosts: planHosts(plan),
    connectTimeoutMs: PLAN_CONNECT_MS,
    retryFailedConnections: false,
  });
  let live: DatabasePreflightFact[];
  try {
    live = await probeReplication(workloads, {
      remote: async (host) => pool.remote(host),
      signal: options.signal,
      running: options.running,
      skip,
    });
  } finally {
    await pool.close();
  }
  // A database the hosts could not answer for keeps its inventory's facts, if it has them.
  const fromInventory = new Map(recorded.map((fact) => [preflightKey(fact.workload, fact.database), fact]));
  return preflightFacts(
    live.map((fact) => {
      const kept =
        fact.notRun === undefined ? undefined : fromInventory.get(preflightKey(fact.workload, fact.database));
      return kept ? inventory(kept) : { fact, from: "hosts" as const };
    }),
  );
}
