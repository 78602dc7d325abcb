/**
 * `migrate apply <plan>`: parse options, take the state lock, confirm, then hand the plan to the
 * engine with the real steps, the SSH pool, the renderer and the run log. Exit codes: 0 all
 * succeeded, 3 some failed/rolled back/skipped, 4 preflight refused (trust, passwords, no host
 * reachable), 5 locked, plan changed or another plan's state, 64 usage, 130 interrupted.
 */
import { resolve } from "node:path";
import { applyPlan, selectWorkloads } from "../../engine/apply.ts";
import { FileJournal } from "../../engine/journal.ts";
import { foldJournal } from "../../engine/journal-fold.ts";
import { acquireLock, describeHolder } from "../../engine/lock.ts";
import { otherPlanFile } from "../../engine/plan-identity.ts";
import { runPlanText } from "../../engine/plan-text.ts";
import { planRun } from "../../engine/planner.ts";
import { runPreflight } from "../../engine/preflight.ts";
import { canPrompt, type Prompter, terminalPrompter } from "../../engine/prompter.ts";
import { findPlanChanges, planChangedError } from "../../engine/resume-check.ts";
import { journalPath, lockPath, planStateDir, runDir, workloadDir } from "../../engine/state-dir.ts";
import { createThrottle } from "../../engine/throttle.ts";
import { downtimeBudgetMs } from "../../engine/window.ts";
import { UserError } from "../../errors.ts";
import { ExitCode } from "../../exit-codes.ts";
import { createRunLog } from "../../log/run-log.ts";
import { scrubberForPlan } from "../../log/scrub.ts";
import { scrubbedEvents, scrubbedJournal } from "../../log/scrubbed-sinks.ts";
import { formatDiagnostic } from "../../plan/diagnostics.ts";
import { loadPlanOrThrow } from "../../plan/load.ts";
import { planHosts, SshPool } from "../../remote/pool.ts";
import { checkPrivilege } from "../../remote/privilege-check.ts";
import { colourWanted, palette } from "../../render/colour.ts";
import { createRenderer } from "../../render/index.ts";
import { STEP_IMPLEMENTATIONS } from "../../steps/index.ts";
import { type OutputFormat, outputFormat } from "../output-format.ts";
import { stateRoot } from "../paths.ts";
import { VERSION } from "../version.ts";

export interface ApplyCommandOptions {
  yes?: boolean;
  stateDir?: string;
  ignoreWindow?: boolean;
  only?: string;
  acceptNewHostKeys?: boolean;
  json?: boolean;
  output?: OutputFormat;
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
  outputFormat(options); // a conflicting --json/--output is refused before anything else
  const loaded = await loadPlanOrThrow(file);
  const { plan } = loaded;
  for (const warning of loaded.warnings) process.stderr.write(`${formatDiagnostic(warning)}\n`);
  const only = parseOnly(options.only);
  const selected = selectWorkloads(plan, only);
  const root = await stateRoot({
    planFile: file,
    planStateDir: plan.defaults.stateDir,
    override: options.stateDir,
    mode: "write",
  });
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
    const summary = foldJournal(journal.records);
    const other = otherPlanFile(journal.records, file, name, planStateDir(root, name));
    if (other) throw other;
    const changes = findPlanChanges(plan, journal.records, summary);
    if (changes.length > 0) throw planChangedError(changes);
    if (!options.yes) {
      const completed = new Set([...summary.workloads.values()].flatMap((w) => [...w.completed]));
      const runPlan = planRun(plan, { completed, planHash: loaded.hash });
      const tty = Boolean(process.stderr.isTTY);
      process.stderr.write(
        runPlanText(runPlan, {
          footer: "none",
          planFile: file,
          style: palette(colourWanted(tty)),
          ...(tty && process.stderr.columns ? { width: process.stderr.columns } : {}),
        }),
      );
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
    mode: outputFormat(options),
    title: `apply ${name}`,
    timeZone: plan.defaults.timezone,
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
  const scrubber = scrubberForPlan(plan);
  const runLog = createRunLog({
    runDir: (runId) => runDir(root, name, runId),
    scrubber,
    plan: name,
  });
  const hosts = planHosts(plan);
  const hostsByName = new Map(hosts.map((host) => [host.name, host]));
  const pool = new SshPool({
    hosts,
    acceptNewHostKeys: options.acceptNewHostKeys ?? false,
    onCommand: (audit) => runLog.onCommand(audit),
  });
  try {
    const result = await applyPlan({
      plan,
      // Absolute, so the journal names the plan file whatever directory the next run starts in.
      planFile: resolve(file),
      planHash: loaded.hash,
      // Secrets are cut out of every record and event, not only the run log's.
      journal: scrubbedJournal(prepared.journal, scrubber),
      steps: STEP_IMPLEMENTATIONS,
      remote: async (host) => pool.remote(host),
      onEvent: scrubbedEvents((event) => {
        renderer.onEvent(event);
        runLog.onEvent(event);
      }, scrubber),
      signal: controller.signal,
      workDir: (workload) => workloadDir(root, name, workload),
      ...(prepared.only ? { only: prepared.only } : {}),
      ignoreWindow: options.ignoreWindow ?? false,
      throttle: createThrottle(plan.defaults.bandwidth, plan.defaults.concurrency),
      ...(prepared.lock.recovered ? { recoveredLock: prepared.lock.recovered } : {}),
      ...(process.env.MIGRATE_FAIL_AFTER ? { failAfter: process.env.MIGRATE_FAIL_AFTER } : {}),
      preflight: async (work, signal) => {
        await runPreflight(work, { pool, signal, viaOf: (host) => hostsByName.get(host)?.via });
        await checkPrivilege(
          pool,
          work.hosts,
          new Set(work.workloads.map((workload) => workload.target)),
          signal,
        );
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
    await renderer.done({ message: scrubber.text(message) });
    if (result.status === "interrupted") return ExitCode.interrupted;
    return result.status === "succeeded" ? ExitCode.ok : ExitCode.partial;
  } catch (error) {
    throw scrubber.error(error);
  } finally {
    process.off("SIGTERM", onTerm);
    await renderer.close();
    await pool.close();
    runLog.close();
  }
}
