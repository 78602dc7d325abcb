/**
 * Everything apply checks before its first change, composed once for the three places that run
 * it: a local apply, the operator's desk of a shared apply (before anything is enqueued), and a
 * runner before a workload's first step on its machine. In that order: trust and passwords
 * (preflight.ts), the replication preflight, privilege, then readiness, whose warnings are
 * returned for the caller to show. Each refusal throws the same error, so the same exit code and
 * message, wherever it runs.
 */
import type { Plan } from "../../plan/schema.ts";
import { planHosts } from "../../remote/pool.ts";
import { checkPrivilege, type PrivilegeHosts } from "../../remote/privilege-check.ts";
import type { Connector } from "../../remote/trust-check.ts";
import type { EngineEvent } from "../events.ts";
import type { JournalRecord } from "../journal/journal-record.ts";
import { referencedHosts } from "../planning/input-hash.ts";
import type { RunWorkload } from "../planning/planner.ts";
import type { ReadinessFinding } from "../planning/readiness.ts";
import { type PreflightWork, runPreflight } from "./preflight.ts";
import { readinessGate } from "./readiness-gate.ts";
import { checkReplication } from "./replication-preflight.ts";
import type { RunKind } from "./run-kinds.ts";

/** The connections the checks use (the SSH pool). */
export type PreflightHosts = Connector & PrivilegeHosts;

export interface ApplyPreflight {
  plan: Plan;
  work: PreflightWork;
  /** The run plan's workloads (those of `work` are checked for readiness). */
  planned: readonly RunWorkload[];
  records: readonly JournalRecord[];
  hosts: PreflightHosts;
  signal: AbortSignal;
  ignoreWindow: boolean;
  kind: RunKind;
  /** The operator's desk of a shared apply: see PreflightOptions.runsElsewhere. */
  runsElsewhere?: boolean;
}

/** The named workloads and every host they touch, as apply hands them to its preflight. */
export function preflightWork(plan: Plan, names: ReadonlySet<string>): PreflightWork {
  const workloads = plan.workloads.filter((workload) => names.has(workload.name));
  return { workloads, hosts: [...new Set(workloads.flatMap(referencedHosts))] };
}

/** A readiness warning as the log event every run shows it with. */
export function readinessEvent(finding: ReadinessFinding): EngineEvent {
  const hint = finding.hint ? ` (${finding.hint})` : "";
  return {
    type: "log",
    level: "warn",
    message: `readiness ${finding.check}: ${finding.message}${hint}`,
    workload: finding.workload,
    at: new Date().toISOString(),
  };
}

/** Throws the first refusal; otherwise returns readiness's warnings. */
export async function applyPreflight(spec: ApplyPreflight): Promise<ReadinessFinding[]> {
  const { plan, work, hosts, signal } = spec;
  const byName = new Map(planHosts(plan).map((host) => [host.name, host]));
  const unreachable = await runPreflight(work, {
    pool: hosts,
    signal,
    viaOf: (host) => byName.get(host)?.via,
    ...(spec.runsElsewhere ? { runsElsewhere: true } : {}),
  });
  // A local apply fails an unreachable host's workloads in their steps; a desk leaves them to the
  // runner that reaches them, which checks them before its first change.
  const replicated = spec.runsElsewhere
    ? work.workloads.filter((w) => !unreachable.has(w.source) && !unreachable.has(w.target))
    : work.workloads;
  await checkReplication(replicated, (host) => hosts.remote(host), signal);
  await checkPrivilege(
    hosts,
    work.hosts.filter((host) => !unreachable.has(host)),
    new Set(work.workloads.map((workload) => workload.target)),
    signal,
  );
  const names = new Set(work.workloads.map((workload) => workload.name));
  const warnings = await readinessGate({
    plan,
    workloads: spec.planned.filter((w) => names.has(w.name)),
    records: spec.records,
    remote: async (host) => hosts.remote(host),
    signal,
    now: new Date(),
    ignoreWindow: spec.ignoreWindow,
    kind: spec.kind,
    unreachable,
  });
  if (!spec.runsElsewhere) return warnings;
  return warnings.map((finding) =>
    finding.check === "probe"
      ? { ...finding, hint: "the runner that reaches it measures it before the workload's first change" }
      : finding,
  );
}
