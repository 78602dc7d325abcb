/**
 * Every reference resolves to something of the right kind: workload sources are source hosts,
 * targets are tenant hosts, gateways and check hosts are hosts of the plan, jump hosts exist,
 * dependencies are workloads, rowCount databases belong to the workload.
 */
import type { Finding, PlanPath } from "../diagnostics.ts";
import { didYouMean } from "../did-you-mean.ts";
import { verifyCheckPath, verifyChecks } from "../verify-checks.ts";
import { error, type Rule, type RuleContext } from "./context.ts";

function hostRef(context: RuleContext, name: string, path: PlanPath, what: string, out: Finding[]): void {
  if (context.hosts.has(name) || context.skipped.hosts.has(name)) return;
  out.push(
    error(
      "unknown-reference",
      `${what} "${name}" is not a host in this plan${didYouMean(name, [...context.hosts.keys(), ...context.skipped.hosts])}`,
      path,
    ),
  );
}

function viaRefs(context: RuleContext, out: Finding[]): void {
  for (const [name, entry] of context.hosts) {
    const via = entry.host.via;
    if (via === undefined) continue;
    const path = [...entry.path, "via"];
    if (via === name) {
      out.push(error("invalid-reference", `host "${name}" cannot be its own jump host`, path));
      continue;
    }
    hostRef(context, via, path, "jump host", out);
    // A jump chain that loops would never connect.
    const seen = new Set([name]);
    let cursor: string | undefined = via;
    while (cursor !== undefined && context.hosts.has(cursor)) {
      if (seen.has(cursor)) {
        out.push(error("cycle", `jump hosts loop: ${[...seen, cursor].join(" -> ")}`, path));
        break;
      }
      seen.add(cursor);
      cursor = context.hosts.get(cursor)?.host.via;
    }
  }
}

export const references: Rule = (context) => {
  const out: Finding[] = [];
  const { plan } = context;
  viaRefs(context, out);
  const workloadNames = new Set(plan.workloads.map((w) => w.name));
  const sourceNames = [...plan.sources.map((s) => s.name), ...context.skipped.hosts];
  const targetNames = [...plan.tenants.flatMap((t) => t.hosts.map((h) => h.name)), ...context.skipped.hosts];
  plan.workloads.forEach((w, i) => {
    const at = (...rest: PlanPath) => context.workloadPath(i, ...rest);
    const source = context.hosts.get(w.source);
    if (source === undefined && !context.skipped.hosts.has(w.source)) {
      out.push(
        error(
          "unknown-reference",
          `source "${w.source}" is not a source host${didYouMean(w.source, sourceNames)}`,
          at("source"),
        ),
      );
    } else if (source && source.role !== "source") {
      out.push(
        error(
          "invalid-reference",
          `source "${w.source}" is a host of tenant "${source.tenant?.name}", not a source host`,
          at("source"),
        ),
      );
    }
    const target = context.hosts.get(w.target);
    if (target === undefined && !context.skipped.hosts.has(w.target)) {
      out.push(
        error(
          "unknown-reference",
          `target "${w.target}" is not a tenant host${didYouMean(w.target, targetNames)}`,
          at("target"),
        ),
      );
    } else if (target && target.role !== "target") {
      out.push(
        error(
          "invalid-reference",
          `target "${w.target}" is a source host; targets must be hosts of a tenant`,
          at("target"),
        ),
      );
    }
    w.dependsOn.forEach((dep, d) => {
      if (!workloadNames.has(dep) && !context.skipped.workloads.has(dep)) {
        out.push(
          error(
            "unknown-reference",
            `dependsOn "${dep}" is not a workload in this plan${didYouMean(dep, [...workloadNames, ...context.skipped.workloads])}`,
            at("dependsOn", d),
          ),
        );
      }
    });
    const cutover = w.cutover;
    if (cutover?.strategy === "proxy")
      hostRef(context, cutover.gateway, at("cutover", "gateway"), "gateway", out);
    if (cutover?.strategy === "command")
      hostRef(context, cutover.host, at("cutover", "host"), "cutover host", out);
    const databases = w.databases.map((db) => db.name);
    verifyChecks(w).forEach((check, c) => {
      if ("tcp" in check)
        hostRef(context, check.tcp.host, at(...verifyCheckPath(w, c), "tcp", "host"), "verify host", out);
      if ("command" in check)
        hostRef(
          context,
          check.command.host,
          at(...verifyCheckPath(w, c), "command", "host"),
          "verify host",
          out,
        );
      if ("http" in check && check.http.from !== undefined) {
        hostRef(context, check.http.from, at(...verifyCheckPath(w, c), "http", "from"), "verify host", out);
      }
      // A workload whose databases had an error of their own lists fewer here: no follow-on.
      const repaired = context.skipped.repaired.has(w.name);
      if ("rowCount" in check && !repaired && !databases.includes(check.rowCount.database)) {
        const known =
          databases.length === 0
            ? "; this workload lists no databases"
            : didYouMean(check.rowCount.database, databases);
        out.push(
          error(
            "unknown-reference",
            `rowCount database "${check.rowCount.database}" is not one of this workload's databases${known}`,
            at(...verifyCheckPath(w, c), "rowCount", "database"),
          ),
        );
      }
    });
  });
  return out;
};
