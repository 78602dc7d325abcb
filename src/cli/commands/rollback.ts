/**
 * `migrate rollback <plan> <workload>`: traffic back to the source and its services started,
 * through the cutover step's undo, journaled; the next apply migrates the workload again. With
 * --state it runs under the workload's lease in the shared state (../shared-rollback.ts).
 */
import { planStateDir } from "../../engine/journal/state-dir.ts";
import { otherPlanFile } from "../../engine/planning/plan-identity.ts";
import { checkRollbackAllowed, rollbackWorkload } from "../../engine/running/rollback.ts";
import { resolveStateUrl } from "../../engine/state/state-url.ts";
import { loadPlanOrThrow } from "../../plan/load.ts";
import { STEP_IMPLEMENTATIONS } from "../../steps/index.ts";
import { withCommandSession } from "../command-session.ts";
import { type OutputFormat, outputFormat } from "../output-format.ts";
import { planStateRoot } from "../paths.ts";
import { canPrompt, type Prompter, requireConsent, terminalPrompter } from "../prompter.ts";
import { rollbackExit } from "../rollback-outcome.ts";
import { sharedRollback } from "../shared-rollback.ts";
import { startShortRun } from "../short-run.ts";

export interface RollbackCommandOptions {
  yes?: boolean;
  stateDir?: string;
  json?: boolean;
  output?: OutputFormat;
  state?: string;
  discardTargetWrites?: boolean;
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
  requireConsent("rollback", options.yes, deps.interactive, `migrate rollback ${file} ${workload} --yes`);
  const format = outputFormat(options);
  const loaded = await loadPlanOrThrow(file);
  const { plan } = loaded;
  const root = await planStateRoot(plan, file, options.stateDir, "write");
  const name = plan.metadata.name;
  const question = `Send ${workload}'s traffic back to its source now?`;
  const ask = options.yes ? undefined : { prompter: deps.prompter, question };
  const url = resolveStateUrl(options.state);
  if (url) {
    const discardTargetWrites = options.discardTargetWrites ?? false;
    return sharedRollback({
      loaded,
      file,
      root,
      workload,
      format,
      url,
      discardTargetWrites,
      ...(ask ? { ask } : {}),
    });
  }
  return withCommandSession(
    { root, name, holder: `migrate rollback ${file} ${workload}`, journal: true },
    async (session) => {
      const records = session.journal!.records;
      const other = otherPlanFile(records, file, name, planStateDir(root, name));
      if (other) throw other;
      checkRollbackAllowed(plan, records, workload);
      const started = await startShortRun(session, {
        loaded,
        file,
        root,
        format,
        title: `rollback ${workload}`,
        ask,
      });
      if (typeof started === "number") return started;
      const { run, engine } = started;
      const result = await rollbackWorkload({
        ...engine,
        workload,
        cutover: STEP_IMPLEMENTATIONS.cutover,
        discardTargetWrites: options.discardTargetWrites ?? false,
        throttle: run.throttle(plan.defaults.bandwidth, plan.defaults.concurrency),
      });
      return rollbackExit(
        run,
        workload,
        result,
        `${workload} rolled back: traffic goes to the source again. \`migrate apply ${file}\` migrates it anew.`,
      );
    },
  );
}
