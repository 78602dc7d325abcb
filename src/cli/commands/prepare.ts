/**
 * `migrate prepare <plan> [--only w1,w2] [--restart]`: in a window before the cutover's, set the
 * source database settings replication needs that take a restart (engine/running/prepare.ts),
 * journaled and audited like apply. Without --restart nothing interrupts the service: the
 * settings wait for the server's next restart, and the output says so. With --restart the server
 * restarts at once, only inside the workload's window (or with --ignore-window). Exit codes: 0
 * done or nothing needed, 1 a database could not be prepared, 4 a host unreachable or untrusted,
 * 5 locked, 6 --restart outside the window, 64 usage, 130 interrupted.
 */
import { planStateDir } from "../../engine/journal/state-dir.ts";
import { otherPlanFile } from "../../engine/planning/plan-identity.ts";
import {
  checkRestartWindows,
  type PreparedDatabase,
  prepareDatabases,
} from "../../engine/running/prepare.ts";
import { isMigrateError } from "../../errors.ts";
import { ExitCode, exitCodeFor } from "../../exit-codes.ts";
import { loadPlanOrThrow } from "../../plan/load.ts";
import { withCommandSession } from "../command-session.ts";
import { type OutputFormat, outputFormat } from "../output-format.ts";
import { planStateRoot } from "../paths.ts";
import { canPrompt, type Prompter, requireConsent, terminalPrompter } from "../prompter.ts";
import { startShortRun } from "../short-run.ts";
import { parseOnly } from "./apply.ts";

export interface PrepareCommandOptions {
  yes?: boolean;
  only?: string;
  restart?: boolean;
  ignoreWindow?: boolean;
  stateDir?: string;
  json?: boolean;
  output?: OutputFormat;
}

function settingsText(settings: Record<string, string>): string {
  return Object.entries(settings)
    .map(([name, value]) => `${name} = ${value}`)
    .join(", ");
}

/** One line per database: what was set, whether it is in effect, and what is left. */
function resultLine(result: PreparedDatabase, file: string): string {
  const name = `${result.workload}/${result.database} on ${result.host}`;
  const left =
    result.remaining.length === 0
      ? " The replication preflight passes now."
      : ` Still blocking (prepare does not change these): ${result.remaining.map((f) => `${f.code}: ${f.hint}`).join("; ")}.`;
  if (Object.keys(result.settings).length === 0)
    return `${name}: nothing to set.${result.remaining.length === 0 ? " The replication preflight passes." : left}`;
  const set = settingsText(result.settings);
  if (result.restarted) return `${name}: set ${set}; the database server was restarted.${left}`;
  if (result.restartNeeded)
    return `${name}: set ${set}, durably; it takes effect only after a RESTART of the database server, which this run did not do. Restart it in a maintenance window: migrate prepare ${file} --only ${result.workload} --restart`;
  return `${name}: set ${set}; already in effect.${left}`;
}

export async function run(
  file: string,
  options: PrepareCommandOptions = {},
  deps: { prompter: Prompter; interactive: boolean } = {
    prompter: terminalPrompter(),
    interactive: canPrompt(),
  },
): Promise<number> {
  requireConsent("prepare", options.yes, deps.interactive, `migrate prepare ${file} --yes`);
  const format = outputFormat(options);
  const loaded = await loadPlanOrThrow(file);
  const { plan } = loaded;
  const only = parseOnly(options.only);
  const restart = options.restart ?? false;
  if (restart) checkRestartWindows(plan, only, new Date(), options.ignoreWindow ?? false);
  const root = await planStateRoot(plan, file, options.stateDir, "write");
  const name = plan.metadata.name;
  return withCommandSession(
    { root, name, holder: `migrate prepare ${file}`, journal: true },
    async (session) => {
      const other = otherPlanFile(session.journal!.records, file, name, planStateDir(root, name));
      if (other) throw other;
      const what = restart
        ? "and RESTART their database servers now (their service stops for the restart)"
        : "(no restart: they take effect at the server's next restart)";
      const question = `Set the replication settings the preflight asks for on the source database servers ${what}?`;
      const ask = options.yes ? undefined : { prompter: deps.prompter, question };
      const title = `prepare ${only?.join(", ") ?? name}`;
      const started = await startShortRun(session, { loaded, file, root, format, title, ask });
      if (typeof started === "number") return started;
      const { run, engine } = started;
      const result = await prepareDatabases({ ...engine, restart, ...(only ? { only } : {}) });
      const lines = result.prepared.map((prepared) => resultLine(prepared, file));
      for (const failure of result.failed) {
        const message = failure.error instanceof Error ? failure.error.message : String(failure.error);
        lines.push(`${failure.workload}/${failure.database}: not prepared: ${message}`);
      }
      if (lines.length === 0) lines.push("Nothing to prepare: no selected database would replicate.");
      await run.renderer?.done({ message: run.scrubber.text(lines.join("\n")) });
      if (result.status === "interrupted") return ExitCode.interrupted;
      const [first] = result.failed;
      if (!first) return ExitCode.ok;
      return isMigrateError(first.error) ? exitCodeFor(first.error.kind) : ExitCode.error;
    },
  );
}
