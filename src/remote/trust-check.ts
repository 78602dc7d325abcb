/**
 * Trust before change: before `apply` runs any step, connect to every host the remaining work
 * needs and report, per host, every one that failed: a refused host key or failed
 * authentication (an impostor, or a wrong key: finding out at the gateway after the source is
 * frozen would be the worst moment), or an unreachable host. The caller decides what stops the
 * run (engine/preflight.ts).
 */
import { isMigrateError, type MigrateError, RemoteError } from "../errors.ts";

export interface Connector {
  connection(name: string, signal?: AbortSignal): Promise<unknown>;
}

export interface HostProblem {
  host: string;
  error: MigrateError;
  /** Set when the host was not tried because the bastion it is reached through failed. */
  through?: string;
}

/** Connects to every host at once; the failures in `hosts` order, never a throw. */
export async function probeHosts(
  pool: Connector,
  hosts: readonly string[],
  signal: AbortSignal,
  viaOf: (host: string) => string | undefined = () => undefined,
): Promise<HostProblem[]> {
  const outcomes = await Promise.allSettled(hosts.map((host) => pool.connection(host, signal)));
  const reasons = new Map(
    hosts.map((host, i) => {
      const outcome = outcomes[i]!;
      return [host, outcome.status === "rejected" ? (outcome.reason as unknown) : undefined] as const;
    }),
  );
  const problems: HostProblem[] = [];
  for (const host of hosts) {
    const reason = reasons.get(host);
    if (reason === undefined) continue;
    const error = isMigrateError(reason)
      ? reason
      : new RemoteError("unreachable", `${host}: ${String((reason as Error)?.message ?? reason)}`, {
          host,
          command: "(connect)",
          exitCode: null,
        });
    // The pool connects a host behind a bastion through the bastion's connection, so its
    // failure is the bastion's own error: say so instead of repeating the bastion's problem.
    const via = viaOf(host);
    const through = via !== undefined && reasons.get(via) === reason ? via : undefined;
    problems.push({ host, error, ...(through ? { through } : {}) });
  }
  return problems;
}
