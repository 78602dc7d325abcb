/**
 * The one closed error hierarchy. Every error a user can cause is a `UserError` with a hint;
 * every failure of a remote or external command is a `RemoteError`; anything else is a bug.
 * `kind` is what callers branch on and what the journal stores; exit codes live in exit-codes.ts.
 */
export type ErrorKind =
  | "invalid-plan"
  | "usage"
  | "unreachable"
  | "host-key"
  | "auth"
  | "locked"
  | "plan-changed"
  | "window"
  | "remote"
  | "timeout"
  | "interrupted"
  | "verify"
  | "journal"
  | "not-ready"
  | "target-writes"
  | "bug";

export abstract class MigrateError extends Error {
  abstract readonly kind: ErrorKind;
  /** Transient faults (connection reset, timeout) may be retried; deterministic ones never. */
  readonly retryable: boolean = false;
  /** One sentence telling the operator what to do next. */
  readonly hint: string | undefined;

  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }

  toJSON(): Record<string, unknown> {
    return { kind: this.kind, message: this.message, hint: this.hint, retryable: this.retryable };
  }
}

/** Something the operator can fix: a bad plan, a bad flag, a refused host key, a held lock. */
export class UserError extends MigrateError {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options);
    this.kind = kind;
  }
}

export interface RemoteFailure {
  host: string;
  command: string;
  exitCode: number | null;
  signal?: string | null;
  stderrTail?: string;
}

/** A command on a host failed, or the host could not be reached. */
export class RemoteError extends MigrateError {
  readonly kind: ErrorKind;
  override readonly retryable: boolean;
  readonly failure: RemoteFailure;
  constructor(
    kind: Extract<ErrorKind, "remote" | "timeout" | "unreachable" | "auth" | "host-key" | "verify">,
    message: string,
    failure: RemoteFailure,
    options: { hint?: string; cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, options);
    this.kind = kind;
    this.failure = failure;
    this.retryable = options.retryable ?? (kind === "timeout" || kind === "unreachable");
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), ...this.failure };
  }
}

/** The run was stopped by the operator (Ctrl-C) or a deadline; journaled as interrupted. */
export class InterruptedError extends MigrateError {
  readonly kind = "interrupted" as const;
}

/** A broken invariant inside migrate itself. Printed with a stack trace and a request to report it. */
export class BugError extends MigrateError {
  readonly kind = "bug" as const;
}

export function isMigrateError(error: unknown): error is MigrateError {
  return error instanceof MigrateError;
}
