import type { ErrorKind } from "./errors.ts";

/**
 * Documented exit codes (README "Exit codes"). `plan` follows Terraform's -detailed-exitcode:
 * 0 nothing to do, 2 work pending.
 */
export const ExitCode = {
  ok: 0,
  error: 1,
  pending: 2,
  partial: 3,
  unreachable: 4,
  locked: 5,
  usage: 64,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export function exitCodeFor(kind: ErrorKind): ExitCode {
  switch (kind) {
    case "usage":
      return ExitCode.usage;
    case "unreachable":
    case "host-key":
    case "auth":
      return ExitCode.unreachable;
    case "locked":
    case "plan-changed":
    case "journal":
      return ExitCode.locked;
    case "interrupted":
      return ExitCode.interrupted;
    default:
      return ExitCode.error;
  }
}
