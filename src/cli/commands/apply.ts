/**
 * `migrate apply <plan>`: parse options, take the state lock, confirm, then hand the plan to the
 * engine with the real steps, the SSH pool, the renderer and the run log. Exit codes: 0 all
 * succeeded, 3 some failed/rolled back/skipped, 5 locked or plan changed, 130 interrupted.
 */
import { applyPlan, selectWorkloads } from "../../engine/apply.ts";
import { FileJournal } from "../../engine/journal.ts";
import { summarize } from "../../engine/journal-read.ts";
import { acquireLock, describeHolder } from "../../engine/lock.ts";
import { runPlanText } from "../../engine/plan-text.ts";
import { planRun } from "../../engine/planner.ts";
import { canPrompt, type Prompter, terminalPrompter } from "../../engine/prompter.ts";
import { findPlanChanges, planChangedError } from "../../engine/resume-check.ts";
import { journalPath, lockPath, resolveStateRoot, runDir, workloadDir } from "../../engine/state-dir.ts";
import { createThrottle } from "../../engine/throttle.ts";
import { downtimeBudgetMs } from "../../engine/window.ts";
import { UserError } from "../../errors.ts";
import { ExitCode } from "../../exit-codes.ts";
import { createRunLog } from "../../log/run-log.ts";
import { scrubberForPlan } from "../../log/scrub.ts";
import { formatDiagnostic } from "../../plan/diagnostics.ts";
import { loadPlanOrThrow } from "../../plan/load.ts";
import { planHosts, SshPool } from "../../remote/pool.ts";
import { checkPrivilege } from "../../remote/privilege-check.ts";
import { checkTrust } from "../../remote/trust-check.ts";
import { createRenderer, type OutputMode } from "../../render/index.ts";
import { checkDatabasePasswords } from "../../steps/db/password.ts";
import { STEP_IMPLEMENTATIONS } from "../../steps/index.ts";
import { VERSION } from "../version.ts";

export interface ApplyCommandOptions {
  yes?: boolean;
  stateDir?: string;
  ignoreWindow?: boolean;
  only?: string;
  acceptNewHostKeys?: boolean;
  output?: OutputMode;
}

export interface ApplyDeps {
  prompter: Prompter;
  interactive: boolean;
}

export function parseOnly(only: string | undefined): string[] | undefined {
  const names = only
    ?.split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  return names && names.length > 0 ? names : undefined;
}

export async function run(
  file: string,
  options: ApplyCommandOptions = {},
  deps: ApplyDeps = { prompter: terminalPrompter(), interactive: canPrompt() },
): Promise<number> {
  if (!options.yes && !deps.interactive) {
    throw new UserError("usage", "apply changes hosts and asks first, but there is no terminal to ask on", {
      hint: `pass --yes to apply without asking: migrate apply ${file} --yes`,
    });
  }
  const loaded = await loadPlanOrThrow(file);
  const { plan } = loaded;
  for (const warning of loaded.warnings) process.stderr.write(`${formatDiagnostic(warning)}\n`);
  const only = parseOnly(options.only);
  const selected = selectWorkloads(plan, only);
  const root = resolveStateRoot(file, plan.defaults.stateDir, options.stateDir);
  const name = plan.metadata.name;
  const resume = `migrate apply ${file} --yes${options.stateDir ? ` --state-dir ${options.stateDir}` : ""}`;

  const lock = await acquireLock(lockPath(root, name), `migrate apply ${file}`);
  let journal: FileJournal | undefined;
  try {
    if (lock.recovered) {
      process.stderr.write(`migrate: took over a stale lock left by ${describeHolder(lock.recovered)}\n`);
    }
    journal = FileJournal.open(journalPath(root, name));
    if (journal.torn) {
      process.stderr.write(
        `migrate: warning: the journal's last record (line ${journal.torn.line}) was torn by a crash mid-write; it was set aside and ignored\n`,
      );
    }
    const summary = summarize(journal.records);
    const changes = findPlanChanges(plan, journal.records, summary);
    if (changes.length > 0) throw planChangedError(changes);
    if (!options.yes) {
      const completed = new Set([...summary.workloads.values()].flatMap((w) => [...w.completed]));
      const runPlan = planRun(plan, { completed, planHash: loaded.hash });
      process.stderr.write(runPlanText(runPlan));
      if (runPlan.summary.pendingSteps === 0) return ExitCode.ok;
      if (!(await deps.prompter.confirm("Apply this plan now?"))) {
        process.stderr.write("Nothing was changed.\n");
        return ExitCode.error;
      }
    }
    return await execute(file, loaded, { root, name, only, selected, resume, journal, lock, options });
  } finally {
    await journal?.close();
    lock.release();
  }
}

interface Prepared {
  root: string;
  name: string;
  only: string[] | undefined;
  selected: ReturnType<typeof selectWorkloads>;
  resume: string;
  journal: FileJournal;
  lock: Awaited<ReturnType<typeof acquireLock>>;
  options: ApplyCommandOptions;
}

async function execute(
  file: string,
  loaded: Awaited<ReturnType<typeof loadPlanOrThrow>>,
  prepared: Prepared,
): Promise<number> {
  const { plan } = loaded;
  const { root, name, options } = prepared;
  const controller = new AbortController();
  const renderer = await createRenderer({
    mode: options.output ?? "auto",
    title: `apply ${name}`,
    workloads: prepared.selected.map((w) => {
      const budget = downtimeBudgetMs(w);
      return {
        name: w.name,
        bureau: w.bureau,
        wave: w.wave,
        ...(budget === undefined ? {} : { downtimeBudgetMs: budget }),
      };
    }),
    onInterrupt: () => controller.abort(),
    resumeCommand: prepared.resume,
  });
  // SIGTERM (systemd, CI cancel) stops as gracefully as Ctrl-C.
  const onTerm = () => controller.abort();
  process.once("SIGTERM", onTerm);
  const runLog = createRunLog({
    runDir: (runId) => runDir(root, name, runId),
    scrubber: scrubberForPlan(plan),
    plan: name,
  });
  const pool = new SshPool({
    hosts: planHosts(plan),
    acceptNewHostKeys: options.acceptNewHostKeys ?? false,
    onCommand: (audit) => runLog.onCommand(audit),
  });
  try {
    const result = await applyPlan({
      plan,
      planFile: file,
      planHash: loaded.hash,
      journal: prepared.journal,
      steps: STEP_IMPLEMENTATIONS,
      remote: async (host) => pool.remote(host),
      onEvent: (event) => {
        renderer.onEvent(event);
        runLog.onEvent(event);
      },
      signal: controller.signal,
      workDir: (workload) => workloadDir(root, name, workload),
      ...(prepared.only ? { only: prepared.only } : {}),
      ignoreWindow: options.ignoreWindow ?? false,
      throttle: createThrottle(plan.defaults.bandwidth),
      ...(prepared.lock.recovered ? { recoveredLock: prepared.lock.recovered } : {}),
      ...(process.env.MIGRATE_FAIL_AFTER ? { failAfter: process.env.MIGRATE_FAIL_AFTER } : {}),
      preflight: async ({ workloads, hosts }, signal) => {
        checkDatabasePasswords(workloads);
        await checkTrust(pool, hosts, signal);
        await checkPrivilege(pool, hosts, new Set(workloads.map((workload) => workload.target)), signal);
      },
      version: VERSION,
      argv: process.argv.slice(2),
    });
    const log = runLog.file ? `; log ${runLog.file}` : "";
    const message =
      result.status === "succeeded"
        ? `All ${result.outcomes.size} workloads migrated; journal ${prepared.journal.path}${log}. Next: migrate report ${file}`
        : result.status === "interrupted"
          ? `Stopped; finished steps are journaled. Resume with: ${prepared.resume}`
          : `Some workloads did not finish (see above; \`migrate status ${file}\`). Fix the cause and resume with: ${prepared.resume}`;
    await renderer.done({ message });
    if (result.status === "interrupted") return ExitCode.interrupted;
    return result.status === "succeeded" ? ExitCode.ok : ExitCode.partial;
  } finally {
    process.off("SIGTERM", onTerm);
    await renderer.close();
    await pool.close();
    runLog.close();
  }
}
