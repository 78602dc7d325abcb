/** Host lookups shared by every command: host names are unique across sources and tenants. */
import type { Host, Plan, Tenant } from "./schema.ts";

export interface FoundHost {
  host: Host;
  role: "source" | "target";
  /** The tenant owning a target host. */
  tenant?: Tenant;
}

/** The host named `name`, whether a source or a tenant host, with its tenant for the latter. */
export function findHost(plan: Plan, name: string): FoundHost | undefined {
  const source = plan.sources.find((h) => h.name === name);
  if (source) return { host: source, role: "source" };
  for (const tenant of plan.tenants) {
    const host = tenant.hosts.find((h) => h.name === name);
    if (host) return { host, role: "target", tenant };
  }
  return undefined;
}

/** The tenant owning a target host; undefined for sources and unknown names. */
export function tenantOfHost(plan: Plan, hostName: string): Tenant | undefined {
  return plan.tenants.find((t) => t.hosts.some((h) => h.name === hostName));
}

/** Every host of the plan by name: sources first, then each tenant's hosts. */
export function hostIndex(plan: Plan): Map<string, FoundHost> {
  const index = new Map<string, FoundHost>();
  for (const host of plan.sources) if (!index.has(host.name)) index.set(host.name, { host, role: "source" });
  for (const tenant of plan.tenants) {
    for (const host of tenant.hosts)
      if (!index.has(host.name)) index.set(host.name, { host, role: "target", tenant });
  }
  return index;
}
