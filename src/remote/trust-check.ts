/**
 * Trust before change: before `apply` runs any step, connect to every host the remaining work
 * needs. A refused host key or failed authentication stops the whole run with nothing changed
 * — a wrong key may be an impostor, and finding out at the gateway after the source is frozen
 * would be the worst moment. An unreachable host does not stop the run: the engine retries it
 * and fails only the workloads that need it.
 */
import { MigrateError } from "../errors.ts";

export interface Connector {
  connection(name: string, signal?: AbortSignal): Promise<unknown>;
}

function isRefusal(reason: unknown): reason is MigrateError {
  return reason instanceof MigrateError && (reason.kind === "host-key" || reason.kind === "auth");
}

/** Resolves when every host is trusted or merely unreachable; throws the first refusal, lists the others. */
export async function checkTrust(
  pool: Connector,
  hosts: readonly string[],
  signal: AbortSignal,
): Promise<void> {
  const outcomes = await Promise.allSettled(hosts.map((host) => pool.connection(host, signal)));
  const refused = outcomes.flatMap((outcome) =>
    outcome.status === "rejected" && isRefusal(outcome.reason) ? [outcome.reason] : [],
  );
  const [first, ...others] = refused;
  if (!first) return;
  // One error, so the journal, the log and the terminal all name every refused host.
  const also = others.length > 0 ? ` (also refused: ${others.map((other) => other.message).join("; ")})` : "";
  first.message = `nothing was changed: ${first.message}${also}`;
  throw first;
}
