/**
 * `migrate finalize <plan> [--only w1,w2]`: after sign-off, end the selected workloads'
 * migration for good — source services disabled, staging removed on both hosts — journaled
 * with who and when; rollback is refused afterwards. Refused for a workload not verified.
 */
import { resolve } from "node:path";
import { foldJournal } from "../../engine/journal/journal-fold.ts";
import { planStateDir, runDir, workloadDir } from "../../engine/journal/state-dir.ts";
import { otherPlanFile } from "../../engine/planning/plan-identity.ts";
import { operatorInfo } from "../../engine/running/apply.ts";
import { checkFinalizeAllowed, finalizeWorkloads } from "../../engine/running/finalize.ts";
import { UserError } from "../../errors.ts";
import { ExitCode } from "../../exit-codes.ts";
import { loadPlanOrThrow } from "../../plan/load.ts";
import { withCommandSession } from "../command-session.ts";
import { type OutputFormat, outputFormat } from "../output-format.ts";
import { planStateRoot } from "../paths.ts";
import { canPrompt, type Prompter, terminalPrompter } from "../prompter.ts";
import { VERSION } from "../version.ts";

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
  if (!options.yes && !deps.interactive) {
    throw new UserError(
      "usage",
      "finalize changes hosts and asks first, but there is no terminal to ask on",
      {
        hint: `pass --yes: migrate finalize ${file} --yes`,
      },
    );
  }
  const format = outputFormat(options);
  const loaded = await loadPlanOrThrow(file);
  const { plan } = loaded;
  const only = options.only
    ?.split(",")
    .map((name) => name.trim())
    .filter(Boolean);
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
      if (!options.yes && !(await deps.prompter.confirm(question))) {
        process.stderr.write("Nothing was changed.\n");
        return ExitCode.error;
      }
      const run = await session.start({
        plan,
        renderer: {
          mode: format === "auto" ? "plain" : format,
          title: `finalize ${todo.join(", ")}`,
          timeZone: plan.defaults.timezone,
        },
        runLog: { runDir: (runId) => runDir(root, name, runId) },
      });
      const result = await finalizeWorkloads({
        plan,
        planFile: resolve(file),
        planHash: loaded.hash,
        journal: run.journal!,
        ...(only ? { only } : {}),
        remote: async (host) => run.pool.remote(host),
        onEvent: run.onEvent,
        signal: run.signal,
        workDir: (item) => workloadDir(root, name, item),
        ...(session.lock.recovered ? { recoveredLock: session.lock.recovered } : {}),
        operator: operatorInfo(VERSION, process.argv.slice(2)),
      });
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
