/**
 * ssh2 and socket errors → the closed error hierarchy: unreachable (retryable), auth (not
 * retryable), timeout. Host key refusals are built in host-key.ts and passed through as they are.
 */
import { isMigrateError, type MigrateError, RemoteError } from "../errors.ts";

/** Socket and resolver faults that pass: the same connection may work when tried again. */
const TRANSIENT_CODES = new Set([
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNRESET",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ECONNABORTED",
]);

/** Whether an error's `code` names a transient network fault (the one list; retry uses it too). */
export function isTransientCode(code: unknown): boolean {
  return typeof code === "string" && TRANSIENT_CODES.has(code);
}

export interface ErrorContext {
  host: string;
  address: string;
  port: number;
  via?: string;
}

function target(context: ErrorContext): string {
  const via = context.via ? ` via ${context.via}` : "";
  return `${context.host} (${context.address}:${context.port}${via})`;
}

export function mapConnectError(error: unknown, context: ErrorContext): MigrateError {
  if (isMigrateError(error)) return error;
  const err = error as Error & { code?: string | number; level?: string; reason?: number };
  const failure = { host: context.host, command: "(connect)", exitCode: null };
  const message = err?.message ?? String(error);
  if (err?.level === "client-authentication") {
    return new RemoteError("auth", `authentication to ${target(context)} failed: ${message}`, failure, {
      hint: "check the user and that the key (agent or keyFile) is in the host's authorized_keys",
      retryable: false,
      cause: error,
    });
  }
  if (err?.level === "client-timeout") {
    return new RemoteError(
      "unreachable",
      `${target(context)}: no SSH handshake within the connect timeout`,
      failure,
      {
        hint: "check that the host is up and that sshd answers on that port",
        retryable: true,
        cause: error,
      },
    );
  }
  if (isTransientCode(err?.code)) {
    return new RemoteError("unreachable", `${target(context)} is unreachable: ${err.code}`, failure, {
      hint: "check the address, port, firewall and (for hosts behind a bastion) the via host",
      retryable: true,
      cause: error,
    });
  }
  // Channel open failures from a bastion's forwardOut carry a numeric reason (2 = connect failed).
  if (typeof err?.reason === "number" || /Channel open failure/i.test(message)) {
    return new RemoteError(
      "unreachable",
      `${target(context)} is unreachable from the bastion: ${message}`,
      failure,
      {
        hint: "check that the bastion can reach the host's address and port",
        retryable: true,
        cause: error,
      },
    );
  }
  return new RemoteError("unreachable", `${target(context)}: ${message}`, failure, {
    retryable: true,
    cause: error,
  });
}
