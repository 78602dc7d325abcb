/**
 * `migrate finalize <plan> [--only w1,w2]`: after sign-off, end the selected workloads'
 * migration for good — source services disabled, staging removed on both hosts — journaled
 * with who and when; rollback is refused afterwards. Refused for a workload not verified.
 */
import { foldJournal } from "../../engine/journal/journal-fold.ts";
import { planStateDir } from "../../engine/journal/state-dir.ts";
import { otherPlanFile } from "../../engine/planning/plan-identity.ts";
import { checkFinalizeAllowed, finalizeWorkloads } from "../../engine/running/finalize.ts";
import { ExitCode } from "../../exit-codes.ts";
import { loadPlanOrThrow } from "../../plan/load.ts";
import { withCommandSession } from "../command-session.ts";
import { type OutputFormat, outputFormat } from "../output-format.ts";
import { planStateRoot } from "../paths.ts";
import { canPrompt, type Prompter, requireConsent, terminalPrompter } from "../prompter.ts";
import { startShortRun } from "../short-run.ts";
import { parseOnly } from "./apply.ts";

export interface FinalizeCommandOptions {
  yes?: boolean;
  only?: string;
  stateDir?: string;
  json?: boolean;
  output?: OutputFormat;
}

export async function run(
  file: string,
  options: FinalizeCommandOptions = {},
  deps: { prompter: Prompter; interactive: boolean } = {
    prompter: terminalPrompter(),
    interactive: canPrompt(),
  },
): Promise<number> {
  requireConsent("finalize", options.yes, deps.interactive, `migrate finalize ${file} --yes`);
  const format = outputFormat(options);
  const loaded = await loadPlanOrThrow(file);
  const { plan } = loaded;
  const only = parseOnly(options.only);
  const root = await planStateRoot(plan, file, options.stateDir, "write");
  const name = plan.metadata.name;
  return withCommandSession(
    { root, name, holder: `migrate finalize ${file}`, journal: true },
    async (session) => {
      const records = session.journal!.records;
      const other = otherPlanFile(records, file, name, planStateDir(root, name));
      if (other) throw other;
      const { todo, already } = checkFinalizeAllowed(plan, foldJournal(records), only);
      if (todo.length === 0) {
        process.stderr.write(`Nothing to finalize: ${already.join(", ")} already finalized.\n`);
        return ExitCode.ok;
      }
      const question = `Finalize ${todo.join(", ")} for good (source services disabled, staging removed, no rollback afterwards)?`;
      const ask = options.yes ? undefined : { prompter: deps.prompter, question };
      const title = `finalize ${todo.join(", ")}`;
      const started = await startShortRun(session, { loaded, file, root, format, title, ask });
      if (typeof started === "number") return started;
      const { run, engine } = started;
      const result = await finalizeWorkloads({ ...engine, ...(only ? { only } : {}) });
      const failures = result.failed.map((f) => `${f.workload}: ${run.scrubber.text(f.message)}`);
      await run.renderer?.done({
        message:
          failures.length === 0
            ? `Finalized ${result.finalized.join(", ")}: source services disabled, staging removed; rollback is no longer offered.`
            : `Finalize did not complete for ${failures.join("; ")}. Fix the host and run finalize again (finished workloads are kept).`,
      });
      if (result.status === "interrupted") return ExitCode.interrupted;
      return result.status === "succeeded" ? ExitCode.ok : ExitCode.error;
    },
  );
}
