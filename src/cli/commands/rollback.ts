/**
 * `migrate rollback <plan> <workload>`: traffic back to the source and its services started,
 * through the cutover step's undo, journaled; the next apply migrates the workload again.
 */
import { resolve } from "node:path";
import { operatorInfo } from "../../engine/apply.ts";
import { FileJournal } from "../../engine/journal.ts";
import { acquireLock, describeHolder } from "../../engine/lock.ts";
import { otherPlanFile } from "../../engine/plan-identity.ts";
import { checkRollbackAllowed, rollbackWorkload } from "../../engine/rollback.ts";
import { journalPath, lockPath, planStateDir, runDir, workloadDir } from "../../engine/state-dir.ts";
import { UserError } from "../../errors.ts";
import { ExitCode } from "../../exit-codes.ts";
import { createRunLog } from "../../log/run-log.ts";
import { scrubberForPlan } from "../../log/scrub.ts";
import { scrubbedEvents, scrubbedJournal } from "../../log/scrubbed-sinks.ts";
import { loadPlanOrThrow } from "../../plan/load.ts";
import { planHosts, SshPool } from "../../remote/pool.ts";
import { createRenderer } from "../../render/index.ts";
import { STEP_IMPLEMENTATIONS } from "../../steps/index.ts";
import { type OutputFormat, outputFormat } from "../output-format.ts";
import { stateRoot } from "../paths.ts";
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
  const root = await stateRoot({
    planFile: file,
    planStateDir: plan.defaults.stateDir,
    override: options.stateDir,
    mode: "write",
  });
  const name = plan.metadata.name;
  const lock = await acquireLock(lockPath(root, name), `migrate rollback ${file} ${workload}`);
  const journal = FileJournal.open(journalPath(root, name));
  const controller = new AbortController();
  try {
    if (lock.recovered)
      process.stderr.write(`migrate: took over a stale lock left by ${describeHolder(lock.recovered)}\n`);
    const other = otherPlanFile(journal.records, file, name, planStateDir(root, name));
    if (other) throw other;
    checkRollbackAllowed(plan, journal.records, workload);
    if (
      !options.yes &&
      !(await deps.prompter.confirm(`Send ${workload}'s traffic back to its source now?`))
    ) {
      process.stderr.write("Nothing was changed.\n");
      return ExitCode.error;
    }
    const renderer = await createRenderer({
      // Rollback is short and prints a few lines; the live view is for apply.
      mode: format === "auto" ? "plain" : format,
      title: `rollback ${workload}`,
      timeZone: plan.defaults.timezone,
      onInterrupt: () => controller.abort(),
    });
    const scrubber = scrubberForPlan(plan);
    const runLog = createRunLog({
      runDir: (runId) => runDir(root, name, runId),
      scrubber,
      plan: name,
    });
    const pool = new SshPool({ hosts: planHosts(plan), onCommand: (audit) => runLog.onCommand(audit) });
    try {
      const result = await rollbackWorkload({
        plan,
        planFile: resolve(file),
        planHash: loaded.hash,
        workload,
        journal: scrubbedJournal(journal, scrubber),
        cutover: STEP_IMPLEMENTATIONS.cutover,
        remote: async (host) => pool.remote(host),
        onEvent: scrubbedEvents((event) => {
          renderer.onEvent(event);
          runLog.onEvent(event);
        }, scrubber),
        signal: controller.signal,
        workDir: (item) => workloadDir(root, name, item),
        ...(lock.recovered ? { recoveredLock: lock.recovered } : {}),
        operator: operatorInfo(VERSION, process.argv.slice(2)),
      });
      const ok = result.status === "rolled-back";
      await renderer.done({
        message: ok
          ? `${workload} rolled back: traffic goes to the source again. \`migrate apply ${file}\` migrates it anew.`
          : `Rollback of ${workload} did not complete: ${scrubber.text(result.message ?? result.status)}. Check the gateway and the source, then run it again.`,
      });
      if (result.status === "interrupted") return ExitCode.interrupted;
      return ok ? ExitCode.ok : ExitCode.error;
    } finally {
      await renderer.close();
      await pool.close();
      runLog.close();
    }
  } finally {
    await journal.close();
    lock.release();
  }
}
