/**
 * What every semantic rule sees: the schema-valid part of the plan, the original positions of its
 * entries (entries with schema errors are left out, so their indices shift), the names of the
 * left-out entries (so references to them do not produce follow-on errors) and inventory facts.
 */
import type { Finding, PlanPath } from "../diagnostics.ts";
import type { InventoryFacts } from "../inventory-facts.ts";
import type { Host, Plan, Tenant } from "../schema.ts";

export interface HostEntry {
  host: Host;
  role: "source" | "target";
  tenant?: Tenant;
  path: PlanPath;
}

export interface RuleContext {
  plan: Plan;
  inventory?: InventoryFacts;
  /** Original index in the file of each entry of plan.sources / tenants / workloads. */
  index: { sources: number[]; tenants: number[]; workloads: number[] };
  /**
   * Names of entries left out because of schema errors, and of workloads kept with a broken
   * optional field removed (advice about them would be noise).
   */
  skipped: { hosts: Set<string>; tenants: Set<string>; workloads: Set<string>; repaired: Set<string> };
  /** First definition of every host name, sources and tenant hosts alike. */
  hosts: Map<string, HostEntry>;
  workloadPath(i: number, ...rest: PlanPath): PlanPath;
  /** The time the plan is checked at (ms since the epoch): windows already past are flagged. */
  now: number;
}

export type Rule = (context: RuleContext) => Finding[];

export function error(code: string, message: string, path: PlanPath, hint?: string): Finding {
  return hint === undefined
    ? { severity: "error", code, message, path }
    : { severity: "error", code, message, path, hint };
}

export function warning(code: string, message: string, path: PlanPath, hint?: string): Finding {
  return hint === undefined
    ? { severity: "warning", code, message, path }
    : { severity: "warning", code, message, path, hint };
}

/** Index the (partial) plan for the rules: hosts by name with their role and tenant. */
export function buildContext(
  plan: Plan,
  index: RuleContext["index"],
  skipped: RuleContext["skipped"],
  inventory?: InventoryFacts,
  now: number = Date.now(),
): RuleContext {
  const hosts = new Map<string, HostEntry>();
  plan.sources.forEach((host, i) => {
    if (!hosts.has(host.name))
      hosts.set(host.name, { host, role: "source", path: ["sources", index.sources[i]!] });
  });
  plan.tenants.forEach((tenant, t) => {
    tenant.hosts.forEach((host, h) => {
      if (!hosts.has(host.name)) {
        hosts.set(host.name, {
          host,
          role: "target",
          tenant,
          path: ["tenants", index.tenants[t]!, "hosts", h],
        });
      }
    });
  });
  const context: RuleContext = {
    plan,
    index,
    skipped,
    hosts,
    workloadPath: (i, ...rest) => ["workloads", index.workloads[i]!, ...rest],
    now,
  };
  if (inventory) context.inventory = inventory;
  return context;
}
