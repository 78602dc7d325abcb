import type { ErrorKind } from "./errors.ts";

/**
 * The one table of exit codes: what each means and which commands return it. The CLI reference
 * (docs) is generated from EXIT_CODES, so a code is documented exactly where it is defined.
 */
export const EXIT_CODES = {
  ok: {
    code: 0,
    commands: "all",
    description:
      "Success. `plan`: the plan is valid (with --detailed-exitcode: valid and nothing left to do). `apply`: every selected workload migrated (or, with --stop-before, ready). `rehearse`: every rehearsal passed. `sync`: every workload synced.",
  },
  error: {
    code: 1,
    commands: "all",
    description:
      "Failure: an invalid plan, a failed check, a refused confirmation, or a bug (printed with a stack trace).",
  },
  pending: {
    code: 2,
    commands: "plan --detailed-exitcode",
    description: "The plan is valid and work is pending (as Terraform's -detailed-exitcode).",
  },
  partial: {
    code: 3,
    commands: "apply, rehearse, sync",
    description:
      "The run ended with some workloads failed, rolled back or skipped; finished steps are journaled, the same command resumes.",
  },
  unreachable: {
    code: 4,
    commands: "apply, rehearse, sync, inventory, rollback, finalize, seed, prepare",
    description:
      "Trust or connection failure: a host key refused, authentication failed, a database password missing, or no host reachable; nothing was changed.",
  },
  locked: {
    code: 5,
    commands: "apply, rehearse, sync, rollback, finalize, seed, state push, prepare",
    description:
      "The state is held by another run, or the journal belongs to a different plan or a changed one; nothing was changed.",
  },
  notReady: {
    code: 6,
    commands: "apply, rehearse, sync, prepare",
    description:
      "Readiness refused the run before any change: too little free space on a target, a needed port held by another process, an older target database server, a closed window (docs/lifecycle.md), a database whose plan asks for `mode: replicate` failing the replication preflight (docs/replication.md), or `prepare --restart` outside the workload's window.",
  },
  targetWrites: {
    code: 8,
    commands: "rollback",
    description:
      "Rollback refused before any change: after a replicated cutover the target took writes that cannot be carried back to the source (no reverse replication for that engine or configuration); the message names the tables and row deltas. `--discard-target-writes` rolls back anyway and leaves them in the target's database (docs/replication.md).",
  },
  usage: {
    code: 64,
    commands: "all",
    description:
      "A usage mistake: an unknown flag or value, a missing --yes without a terminal, a path given on the command line that cannot be used, a rehearse or sync of a workload already cut over, a finalize of a workload not verified, a rollback after finalize, a password in a --state URL.",
  },
  interrupted: {
    code: 130,
    commands: "apply, rehearse, sync, rollback, finalize, inventory, seed, runner, prepare",
    description: "Stopped by Ctrl-C or SIGTERM; finished steps are journaled, the same command resumes.",
  },
} as const;

type ExitCodeName = keyof typeof EXIT_CODES;

/** Exit codes by name: `ExitCode.partial` is 3. */
export const ExitCode = Object.fromEntries(
  Object.entries(EXIT_CODES).map(([name, entry]) => [name, entry.code]),
) as { readonly [Name in ExitCodeName]: (typeof EXIT_CODES)[Name]["code"] };
export type ExitCode = (typeof ExitCode)[ExitCodeName];

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
    case "not-ready":
      return ExitCode.notReady;
    case "target-writes":
      return ExitCode.targetWrites;
    default:
      return ExitCode.error;
  }
}
