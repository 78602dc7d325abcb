/**
 * What inventory asks each host: the plan's hosts with their role, and per host the paths and
 * database ports its workloads declare (sources hold them now, targets will receive them).
 */
import type { Database, Host } from "../plan/schema.ts";
import type { ScriptInputs } from "./script.ts";

export const DEFAULT_PORTS: Record<Database["engine"], number> = {
  postgresql: 5432,
  mysql: 3306,
  mariadb: 3306,
};

/** The part of a plan inventory needs; a validated `Plan` is one. */
export interface TargetPlan {
  sources: readonly Host[];
  tenants: readonly { name: string; hosts: readonly Host[] }[];
  workloads: readonly {
    source: string;
    target: string;
    paths: readonly string[];
    services: readonly string[];
    databases: readonly Pick<Database, "engine" | "port">[];
  }[];
}

export interface InventoryTarget {
  host: Host;
  role: "source" | "target";
  tenant?: string;
  inputs: ScriptInputs;
}

export function inventoryTargets(plan: TargetPlan): InventoryTarget[] {
  // Host names are unique across the plan; the first entry wins as in plan/hosts.ts.
  const hosts = new Map<string, Omit<InventoryTarget, "inputs">>();
  for (const host of plan.sources) if (!hosts.has(host.name)) hosts.set(host.name, { host, role: "source" });
  for (const tenant of plan.tenants) {
    for (const host of tenant.hosts) {
      if (!hosts.has(host.name)) hosts.set(host.name, { host, role: "target", tenant: tenant.name });
    }
  }
  return [...hosts].map(([name, found]) => {
    const workloads = plan.workloads.filter((w) => w.source === name || w.target === name);
    const paths = [...new Set(workloads.flatMap((w) => w.paths))];
    const databases = workloads.flatMap((w) => w.databases);
    const portsOf = (engines: Database["engine"][]) => [
      ...new Set(
        databases
          .filter((db) => engines.includes(db.engine))
          .map((db) => db.port ?? DEFAULT_PORTS[db.engine]),
      ),
    ];
    // No database declared: still look at the default ports, so the table shows what runs there.
    const postgresPorts = databases.length === 0 ? [DEFAULT_PORTS.postgresql] : portsOf(["postgresql"]);
    const mysqlPorts = databases.length === 0 ? [DEFAULT_PORTS.mysql] : portsOf(["mysql", "mariadb"]);
    // Portability is a property of what a source holds now; a target's copy is not scanned.
    const sourceOf = workloads.filter((w) => w.source === name);
    const scanPaths = [...new Set(sourceOf.flatMap((w) => w.paths))];
    const services = [...new Set(sourceOf.flatMap((w) => w.services))];
    return {
      ...found,
      inputs: {
        paths,
        postgresPorts,
        mysqlPorts,
        databasesIfPresent: databases.length === 0,
        ...(scanPaths.length > 0 ? { scanPaths } : {}),
        ...(services.length > 0 ? { services } : {}),
      },
    };
  });
}

function hostKey(host: Host): unknown[] {
  return [host.name, host.address, host.port, host.user, host.auth, host.hostKey ?? null, host.via ?? null];
}

/** Would these two target lists make exactly the same connections and ask the same questions? */
export function sameTargets(a: readonly InventoryTarget[], b: readonly InventoryTarget[]): boolean {
  const key = (t: InventoryTarget) => JSON.stringify([hostKey(t.host), t.role, t.tenant ?? null, t.inputs]);
  return a.length === b.length && a.every((t, i) => key(t) === key(b[i]!));
}
