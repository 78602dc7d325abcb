/**
 * Privilege before change: before `apply` runs any step, every host the work needs says who
 * the commands run as. A `become: sudo` that sudo refuses (no passwordless sudo), or a target
 * reached as an ordinary user without become (files could not keep their owners), stops the
 * run with nothing changed. A source may be read as an ordinary user: files it cannot read are
 * refused by name when the snapshot lists them. An unreachable host is left to the engine.
 */
import { MigrateError, RemoteError } from "../errors.ts";
import { sh } from "./shell.ts";
import type { Remote } from "./types.ts";

export interface PrivilegeHosts {
  remote(name: string): Remote;
}

const QUICK_MS = 30_000;

async function refusal(pool: PrivilegeHosts, host: string, target: boolean, signal: AbortSignal) {
  let result: Awaited<ReturnType<Remote["run"]>>;
  try {
    result = await pool.remote(host).run(sh`id -u; id -un`, { signal, timeoutMs: QUICK_MS });
  } catch (error) {
    if (error instanceof MigrateError && error.kind !== "auth" && error.kind !== "host-key") return undefined;
    throw error;
  }
  if (result.exitCode === null) return undefined;
  const failure = { host, command: result.command, exitCode: result.exitCode, stderrTail: result.stderr };
  if (result.exitCode !== 0) {
    const said = result.stderr.trim().split("\n").at(-1) ?? "";
    if (!/sudo/.test(said)) return undefined;
    return new RemoteError("auth", `become: sudo on ${host} failed: ${said}`, failure, {
      hint: "give the login passwordless sudo on that host (a line `<user> ALL=(ALL) NOPASSWD: ALL` in /etc/sudoers.d/), or log in as root",
      retryable: false,
    });
  }
  const [uid, user] = result.stdout.trim().split("\n");
  if (!target || uid === "0") return undefined;
  return new RemoteError(
    "auth",
    `target ${host} is reached as ${user ?? "an ordinary user"}, not root: files could not keep their owners, modes and attributes`,
    failure,
    {
      hint: "add `become: sudo` to the host in the plan (a login with passwordless sudo), or log in as root",
      retryable: false,
    },
  );
}

/** Resolves when every reachable host runs commands with the privilege its role needs. */
export async function checkPrivilege(
  pool: PrivilegeHosts,
  hosts: readonly string[],
  targets: ReadonlySet<string>,
  signal: AbortSignal,
): Promise<void> {
  const refused = (
    await Promise.all(hosts.map((host) => refusal(pool, host, targets.has(host), signal)))
  ).filter((error) => error !== undefined);
  const [first, ...others] = refused;
  if (!first) return;
  const also = others.length > 0 ? ` (also: ${others.map((other) => other.message).join("; ")})` : "";
  first.message = `nothing was changed: ${first.message}${also}`;
  throw first;
}
