/** Names are unique per kind; host names are unique across sources and all tenants' hosts. */
import type { Finding, PlanPath } from "../diagnostics.ts";
import { error, type Rule } from "./context.ts";

function duplicates(kind: string, entries: { name: string; path: PlanPath }[], scope: string): Finding[] {
  const first = new Map<string, PlanPath>();
  const out: Finding[] = [];
  for (const { name, path } of entries) {
    const previous = first.get(name);
    if (previous === undefined) {
      first.set(name, path);
      continue;
    }
    // Only host names share one namespace across sources and tenants: a duplicate tenant is
    // not "already a tenant host".
    const where =
      kind !== "host"
        ? ""
        : previous[0] === "sources"
          ? "; it is already a source host"
          : previous[0] === "tenants"
            ? "; it is already a tenant host"
            : "";
    out.push(
      error(
        `duplicate-${kind}`,
        `duplicate ${kind} name "${name}"${where} (${kind} names must be unique ${scope})`,
        [...path, "name"],
      ),
    );
  }
  return out;
}

export const uniqueNames: Rule = ({ plan, index }) => {
  const hosts: { name: string; path: PlanPath }[] = plan.sources.map((h, i) => ({
    name: h.name,
    path: ["sources", index.sources[i]!],
  }));
  plan.tenants.forEach((t, ti) => {
    t.hosts.forEach((h, hi) => {
      hosts.push({ name: h.name, path: ["tenants", index.tenants[ti]!, "hosts", hi] });
    });
  });
  const out = [
    ...duplicates("host", hosts, "across sources and tenants"),
    ...duplicates(
      "tenant",
      plan.tenants.map((t, i) => ({ name: t.name, path: ["tenants", index.tenants[i]!] })),
      "in a plan",
    ),
    ...duplicates(
      "workload",
      plan.workloads.map((w, i) => ({ name: w.name, path: ["workloads", index.workloads[i]!] })),
      "in a plan",
    ),
  ];
  plan.workloads.forEach((w, i) => {
    const seen = new Set<string>();
    w.databases.forEach((db, d) => {
      const key = `${db.engine}/${db.name}/${db.port ?? ""}`;
      if (seen.has(key)) {
        out.push(
          error("duplicate-database", `database "${db.name}" is listed twice`, [
            "workloads",
            index.workloads[i]!,
            "databases",
            d,
            "name",
          ]),
        );
      }
      seen.add(key);
    });
  });
  return out;
};
