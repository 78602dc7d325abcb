/**
 * `migrate rollback <plan> <workload>`: traffic back to the source and its services started,
 * through the cutover step's undo, journaled; the next apply migrates the workload again.
 */
import { resolve } from "node:path";
import { planStateDir, runDir, workloadDir } from "../../engine/journal/state-dir.ts";
import { otherPlanFile } from "../../engine/planning/plan-identity.ts";
import { operatorInfo } from "../../engine/running/apply.ts";
import { checkRollbackAllowed, rollbackWorkload } from "../../engine/running/rollback.ts";
import { UserError } from "../../errors.ts";
import { ExitCode } from "../../exit-codes.ts";
import { loadPlanOrThrow } from "../../plan/load.ts";
import { STEP_IMPLEMENTATIONS } from "../../steps/index.ts";
import { withCommandSession } from "../command-session.ts";
import { type OutputFormat, outputFormat } from "../output-format.ts";
import { planStateRoot } from "../paths.ts";
import { canPrompt, type Prompter, terminalPrompter } from "../prompter.ts";
import { VERSION } from "../version.ts";

export interface RollbackCommandOptions {
  yes?: boolean;
  stateDir?: string;
  json?: boolean;
  output?: OutputFormat;
}

export async function run(
  file: string,
  workload: string,
  options: RollbackCommandOptions = {},
  deps: { prompter: Prompter; interactive: boolean } = {
    prompter: terminalPrompter(),
    interactive: canPrompt(),
  },
): Promise<number> {
  if (!options.yes && !deps.interactive) {
    throw new UserError(
      "usage",
      "rollback changes hosts and asks first, but there is no terminal to ask on",
      {
        hint: `pass --yes: migrate rollback ${file} ${workload} --yes`,
      },
    );
  }
  const format = outputFormat(options);
  const loaded = await loadPlanOrThrow(file);
  const { plan } = loaded;
  const root = await planStateRoot(plan, file, options.stateDir, "write");
  const name = plan.metadata.name;
  return withCommandSession(
    { root, name, holder: `migrate rollback ${file} ${workload}`, journal: true },
    async (session) => {
      const records = session.journal!.records;
      const other = otherPlanFile(records, file, name, planStateDir(root, name));
      if (other) throw other;
      checkRollbackAllowed(plan, records, workload);
      if (
        !options.yes &&
        !(await deps.prompter.confirm(`Send ${workload}'s traffic back to its source now?`))
      ) {
        process.stderr.write("Nothing was changed.\n");
        return ExitCode.error;
      }
      const run = await session.start({
        plan,
        renderer: {
          // Rollback is short and prints a few lines; the live view is for apply.
          mode: format === "auto" ? "plain" : format,
          title: `rollback ${workload}`,
          timeZone: plan.defaults.timezone,
        },
        runLog: { runDir: (runId) => runDir(root, name, runId) },
      });
      const result = await rollbackWorkload({
        plan,
        planFile: resolve(file),
        planHash: loaded.hash,
        workload,
        journal: run.journal!,
        cutover: STEP_IMPLEMENTATIONS.cutover,
        remote: async (host) => run.pool.remote(host),
        onEvent: run.onEvent,
        signal: run.signal,
        workDir: (item) => workloadDir(root, name, item),
        ...(session.lock.recovered ? { recoveredLock: session.lock.recovered } : {}),
        operator: operatorInfo(VERSION, process.argv.slice(2)),
      });
      const ok = result.status === "rolled-back";
      await run.renderer?.done({
        message: ok
          ? `${workload} rolled back: traffic goes to the source again. \`migrate apply ${file}\` migrates it anew.`
          : `Rollback of ${workload} did not complete: ${run.scrubber.text(result.message ?? result.status)}. Check the gateway and the source, then run it again.`,
      });
      if (result.status === "interrupted") return ExitCode.interrupted;
      return ok ? ExitCode.ok : ExitCode.error;
    },
  );
}
