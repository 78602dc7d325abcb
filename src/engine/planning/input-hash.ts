/**
 * What a workload's steps depend on, hashed: the workload itself, every host it references
 * (with jump hosts) and the target's tenant. A resume compares these with the hashes journaled
 * by finished steps, so a plan edited under completed work is refused with the changed fields.
 */
import { createHash } from "node:crypto";
import type { Host, Plan, Tenant, Workload } from "../../plan/schema.ts";
import { verifyChecks } from "../../plan/verify-checks.ts";

/** JSON with object keys sorted, so equal values always hash the same. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Host names a workload's steps touch: source, target, gateway or cutover host, check hosts. */
export function referencedHosts(workload: Workload): string[] {
  const names = new Set<string>([workload.source, workload.target]);
  if (workload.cutover?.strategy === "proxy") names.add(workload.cutover.gateway);
  if (workload.cutover?.strategy === "command") names.add(workload.cutover.host);
  for (const check of verifyChecks(workload)) {
    if ("tcp" in check) names.add(check.tcp.host);
    if ("command" in check) names.add(check.command.host);
    if ("http" in check && check.http.from) names.add(check.http.from);
  }
  return [...names];
}

const hostsOfPlan = new WeakMap<Plan, Map<string, Host>>();

function allHosts(plan: Plan): Map<string, Host> {
  const cached = hostsOfPlan.get(plan);
  if (cached) return cached;
  const hosts = new Map<string, Host>();
  hostsOfPlan.set(plan, hosts);
  for (const host of plan.sources) hosts.set(host.name, host);
  for (const tenant of plan.tenants) for (const host of tenant.hosts) hosts.set(host.name, host);
  return hosts;
}

export function tenantOf(plan: Plan, hostName: string): Tenant | undefined {
  return plan.tenants.find((tenant) => tenant.hosts.some((host) => host.name === hostName));
}

/** Per-field hashes of a workload's inputs: one per top-level key, one per host, one for the tenant. */
export function workloadFieldHashes(plan: Plan, workload: Workload): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(workload)) fields[key] = sha256(stableJson(value));
  const hosts = allHosts(plan);
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const host = hosts.get(name);
    fields[`host ${name}`] = sha256(stableJson(host ?? null));
    if (host?.via) visit(host.via);
  };
  for (const name of referencedHosts(workload)) visit(name);
  const tenant = tenantOf(plan, workload.target);
  if (tenant) {
    const { hosts: _hosts, ...rest } = tenant;
    fields[`tenant ${tenant.name}`] = sha256(stableJson(rest));
  }
  return fields;
}

/** One hash of all of a workload's inputs (the `inputHash` journaled with each of its steps). */
export function workloadInputHash(fields: Record<string, string>): string {
  return sha256(stableJson(fields));
}

/** Field names whose hash differs (added, removed or changed). */
export function changedFields(before: Record<string, string>, after: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((key) => before[key] !== after[key]).sort();
}
