/**
 * Apply's preflight, before any step: every database password the remaining work needs is set,
 * and every host it touches is trusted and reachable. Every problem is collected (not just the
 * first), grouped per host, so one run shows the operator everything to fix. Refusals and
 * missing passwords stop the run; unreachable hosts stop it only when no host can be reached at
 * all (otherwise the engine retries them and fails just the workloads that need them).
 */
import { type ErrorKind, isMigrateError, UserError } from "../../errors.ts";
import type { Plan } from "../../plan/schema.ts";
import { type Connector, type HostProblem, probeHosts } from "../../remote/trust-check.ts";
import { databasePassword } from "../../steps/db/password.ts";

export interface PreflightWork {
  workloads: readonly Plan["workloads"][number][];
  hosts: readonly string[];
}

export interface PreflightOptions {
  pool: Connector;
  signal: AbortSignal;
  viaOf?: (host: string) => string | undefined;
  env?: NodeJS.ProcessEnv;
  /**
   * The work runs on runners, not here (the operator's desk of a shared apply): the database
   * passwords are in the runners' environment and a host this desk cannot reach may be one only
   * a runner reaches, so neither stops the run here; each runner checks them before its change.
   */
  runsElsewhere?: boolean;
}

/** Resolves when the run may start; otherwise throws one UserError naming every problem per host. */
/** Refuses the run when it cannot go on; otherwise returns the hosts found unreachable (their workloads fail later). */
export async function runPreflight(work: PreflightWork, options: PreflightOptions): Promise<Set<string>> {
  const problems: HostProblem[] = [];
  for (const workload of options.runsElsewhere ? [] : work.workloads) {
    for (const db of workload.databases) {
      try {
        databasePassword(db, options.env);
      } catch (error) {
        if (!isMigrateError(error)) throw error;
        problems.push({ host: workload.source, error });
      }
    }
  }
  // Bastions first: a host behind a failed bastion is then named as such, not blamed for it.
  const viaOf = options.viaOf ?? (() => undefined);
  const bastions = work.hosts.flatMap((host) => viaOf(host) ?? []);
  const hosts = [...new Set([...bastions, ...work.hosts])];
  const hostProblems = await probeHosts(options.pool, hosts, options.signal, viaOf);
  problems.push(...hostProblems);
  const stops =
    problems.some((p) => p.error.kind !== "unreachable") ||
    (!options.runsElsewhere && hosts.length > 0 && hostProblems.length === hosts.length);
  if (stops) throw preflightError(problems, hosts.length);
  return new Set(hostProblems.filter((p) => p.error.kind === "unreachable").map((p) => p.host));
}

/** Which exit code the whole preflight earns: a refusal outranks a missing password and unreachable hosts. */
function kindOf(problems: readonly HostProblem[]): ErrorKind {
  for (const kind of ["host-key", "auth"] as const)
    if (problems.some((p) => p.error.kind === kind)) return kind;
  return problems.every((p) => p.error.kind === "unreachable") ? "unreachable" : "auth";
}

/**
 * One line per problem, grouped by host in the order hosts were named, then each distinct hint
 * once (after the hosts it applies to), like inventory's list of failed hosts.
 */
function preflightError(problems: readonly HostProblem[], hostCount: number): UserError {
  const hosts = [...new Set(problems.map((p) => p.host))];
  const width = Math.max(...hosts.map((host) => host.length));
  const lines: string[] = [];
  const hints = new Map<string, string[]>();
  for (const host of hosts) {
    for (const problem of problems.filter((p) => p.host === host)) {
      const reason = problem.through
        ? `not checked: reached through ${problem.through}, which failed`
        : withoutHostPrefix(problem.error.message, host);
      lines.push(`  ${host.padEnd(width)}  ${reason}`);
      const hint = problem.through ? undefined : problem.error.hint;
      if (hint) hints.set(hint, [...(hints.get(hint) ?? []), host]);
    }
  }
  const hintLines = [...hints].map(([hint, on]) => `  hint (${[...new Set(on)].join(", ")}): ${hint}`);
  const failed = hosts.length;
  const head =
    hostCount > 0 && problems.every((p) => p.error.kind === "unreachable") && failed === hostCount
      ? `preflight: none of the ${hostCount} hosts can be reached; nothing was changed:`
      : `preflight: problems on ${failed} of ${Math.max(hostCount, failed)} hosts; nothing was changed:`;
  return new UserError(kindOf(problems), [head, ...lines, ...hintLines].join("\n"), {
    hint: "fix every host listed above, then run the same command again",
  });
}

/** The line already starts with the host's name; most messages do too. */
function withoutHostPrefix(message: string, host: string): string {
  const prefix = `${host} `;
  return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}
