/**
 * What inventory asks each host: the plan's hosts with their role, and per host the paths and
 * database ports its workloads declare (sources hold them now, targets will receive them).
 */
import { hostIndex } from "../plan/hosts.ts";
import type { Database, Host, Plan } from "../plan/schema.ts";
import type { ScriptInputs } from "./script.ts";

export const DEFAULT_PORTS: Record<Database["engine"], number> = {
  postgresql: 5432,
  mysql: 3306,
  mariadb: 3306,
};

export interface InventoryTarget {
  host: Host;
  role: "source" | "target";
  tenant?: string;
  inputs: ScriptInputs;
}

export function inventoryTargets(plan: Plan): InventoryTarget[] {
  const targets: InventoryTarget[] = [];
  for (const [name, found] of hostIndex(plan)) {
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
    targets.push({
      host: found.host,
      role: found.role,
      ...(found.tenant ? { tenant: found.tenant.name } : {}),
      inputs: { paths, postgresPorts, mysqlPorts, databasesIfPresent: databases.length === 0 },
    });
  }
  return targets;
}
