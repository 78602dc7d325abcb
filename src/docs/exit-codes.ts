/**
 * The one exit-code table (docs/operations.md), generated from src/exit-codes.ts. Typed by the
 * codes themselves: a code added there without a line here does not compile.
 */
import { ExitCode } from "../exit-codes.ts";
import { cell } from "./plan-format.ts";

export const EXIT_CODE_DOCS: Record<keyof typeof ExitCode, { meaning: string; when: string }> = {
  ok: {
    meaning: "success / nothing to do",
    when: "`validate`: every plan valid (warnings allowed); `plan`: no step pending; `apply`: every selected workload succeeded",
  },
  error: {
    meaning: "error",
    when: "invalid plan; `inventory`: drift errors against the plan; `apply`/`rollback`: a failure; any unexpected failure (bug)",
  },
  pending: {
    meaning: "work pending",
    when: "`plan`: at least one step remains (Terraform's `-detailed-exitcode`)",
  },
  partial: { meaning: "partial", when: "`apply`: some workloads failed, were rolled back or skipped" },
  unreachable: {
    meaning: "unreachable or refused",
    when: "a host could not be reached, its host key was refused, authentication failed, or a `passwordEnv` variable is unset (`inventory`: any host; `apply`: found before any step, nothing changed)",
  },
  locked: {
    meaning: "locked or changed",
    when: "another run holds the lock, the plan changed under finished steps, or the journal is unusable",
  },
  usage: {
    meaning: "usage",
    when: "unknown command or option, missing argument, a bad option value, no `--yes` without a terminal",
  },
  interrupted: {
    meaning: "interrupted",
    when: "stopped by Ctrl-C, SIGTERM or a deadline; resume with the same command",
  },
};

export function exitCodeTable(): string {
  const rows = (Object.keys(ExitCode) as (keyof typeof ExitCode)[])
    .sort((a, b) => ExitCode[a] - ExitCode[b])
    .map(
      (name) =>
        `| ${ExitCode[name]} | ${cell(EXIT_CODE_DOCS[name].meaning)} | ${cell(EXIT_CODE_DOCS[name].when)} |`,
    );
  return ["| code | meaning | when |", "| --- | --- | --- |", ...rows].join("\n");
}
