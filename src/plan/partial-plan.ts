/**
 * When the schema rejects some entries, the semantic rules still run on the rest so one pass
 * reports every problem: entries with schema errors are left out (their names remembered so
 * references to them are not reported again) and broken top-level scalars get placeholders.
 */
import type { z } from "zod";
import type { RuleContext } from "./rules/context.ts";
import { Host, Plan, Workload } from "./schema.ts";

type Issue = z.core.$ZodIssue;
const LISTS = ["sources", "tenants", "workloads"] as const;
type ListKey = (typeof LISTS)[number];

export interface PartialPlan {
  plan: Plan;
  index: RuleContext["index"];
  skipped: RuleContext["skipped"];
}

/** Entry schemas whose optional fields can be dropped instead of the whole entry. */
const ENTRY_SHAPES: Partial<Record<ListKey, Record<string, z.ZodType>>> = {
  sources: Host.shape,
  workloads: Workload.shape,
};

/** Drop the broken field of an entry when the schema lets it be absent; false: drop the entry. */
function repair(list: ListKey, entry: Record<string, unknown>, issue: Issue): boolean {
  const shape = ENTRY_SHAPES[list];
  if (shape === undefined) return false;
  const field = issue.path[2];
  if (field === undefined) {
    if (issue.code !== "unrecognized_keys") return false;
    for (const key of issue.keys) delete entry[key];
    return true;
  }
  const schema = shape[String(field)];
  if (schema === undefined || !schema.safeParse(undefined).success) return false;
  delete entry[String(field)];
  return true;
}

function nameOf(value: unknown): string | undefined {
  const name = (value as { name?: unknown } | null)?.name;
  return typeof name === "string" ? name : undefined;
}

/** The schema-valid rest of a rejected plan, or undefined when too little of it is usable. */
export function partialPlan(raw: unknown, issues: readonly Issue[]): PartialPlan | undefined {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return undefined;
  const copy: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  const bad: Record<ListKey, Set<number>> = { sources: new Set(), tenants: new Set(), workloads: new Set() };
  const skipped: PartialPlan["skipped"] = {
    hosts: new Set(),
    tenants: new Set(),
    workloads: new Set(),
    repaired: new Set(),
  };
  for (const issue of issues) {
    const [top, entry] = issue.path;
    if (top === undefined) {
      if (issue.code !== "unrecognized_keys") return undefined;
      for (const key of issue.keys) delete copy[key];
    } else if (LISTS.includes(top as ListKey) && typeof entry === "number") {
      const list = copy[top as string] as unknown[];
      const item = list[entry];
      if (item === null || typeof item !== "object" || Array.isArray(item)) {
        bad[top as ListKey].add(entry);
        continue;
      }
      if (list === (raw as Record<string, unknown>)[top as string]) copy[top as string] = list.slice();
      const editable =
        (copy[top as string] as unknown[])[entry] === item ? { ...(item as Record<string, unknown>) } : item;
      (copy[top as string] as unknown[])[entry] = editable;
      if (!repair(top as ListKey, editable as Record<string, unknown>, issue)) bad[top as ListKey].add(entry);
      else if (top === "workloads") {
        const name = nameOf(editable);
        if (name !== undefined) skipped.repaired.add(name);
      }
    } else if (LISTS.includes(top as ListKey)) {
      copy[top as string] = [];
    } else if (top === "metadata") {
      copy.metadata = { name: "plan", owner: "unknown" };
    } else if (top === "apiVersion") {
      copy.apiVersion = "migrate/v1";
    } else if (top === "kind") {
      copy.kind = "MigrationPlan";
    } else {
      delete copy[top as string];
    }
  }
  const index: PartialPlan["index"] = { sources: [], tenants: [], workloads: [] };
  for (const key of LISTS) {
    const list = copy[key];
    if (!Array.isArray(list)) continue;
    copy[key] = list.filter((item, i) => {
      if (!bad[key].has(i)) {
        index[key].push(i);
        return true;
      }
      const name = nameOf(item);
      if (name !== undefined)
        (key === "workloads" ? skipped.workloads : key === "tenants" ? skipped.tenants : skipped.hosts).add(
          name,
        );
      if (key === "tenants") {
        const hosts = (item as { hosts?: unknown }).hosts;
        if (Array.isArray(hosts))
          for (const host of hosts) {
            const hostName = nameOf(host);
            if (hostName !== undefined) skipped.hosts.add(hostName);
          }
      }
      return false;
    });
  }
  const parsed = Plan.safeParse(copy);
  return parsed.success ? { plan: parsed.data, index, skipped } : undefined;
}
