/**
 * `migrate apply <plan>`: parse options, take the state lock, confirm, then hand the plan to the
 * engine with the real steps, the SSH pool, the renderer and the run log. `rehearse` and `sync`
 * are run kinds of the same engine and go through the same function (runOfKind). Exit codes:
 * 0 all succeeded, 3 some failed/rolled back/skipped, 4 preflight refused (trust, passwords, no
 * host reachable), 5 locked, plan changed or another plan's state, 6 readiness blocked (space,
 * ports, database version, closed window), 64 usage, 130 interrupted.
 */
import { resolve } from "node:path";
import { planStateDir, runDir, workloadDir } from "../../engine/journal/state-dir.ts";
import { otherPlanFile } from "../../engine/planning/plan-identity.ts";
import { applyPlan, type PreparedApply, prepareApply, selectWorkloads } from "../../engine/running/apply.ts";
import { applyPreflight, readinessEvent } from "../../engine/running/apply-preflight.ts";
import type { RunKind } from "../../engine/running/run-kinds.ts";
import { resolveStateUrl } from "../../engine/state/state-url.ts";
import { UserError } from "../../errors.ts";
import { ExitCode } from "../../exit-codes.ts";
import { formatDiagnostic } from "../../plan/diagnostics.ts";
import { loadPlanOrThrow } from "../../plan/load.ts";
import { colourWanted, palette } from "../../render/colour.ts";
import { runPlanText } from "../../render/plan-text.ts";
import { STEP_IMPLEMENTATIONS } from "../../steps/index.ts";
import type { StepName } from "../../steps/names.ts";
import { type CommandSession, withCommandSession } from "../command-session.ts";
import { type OutputFormat, outputFormat } from "../output-format.ts";
import { planStateRoot } from "../paths.ts";
import { canPrompt, type Prompter, terminalPrompter } from "../prompter.ts";
import { applyShared, workloadInfo } from "../shared-apply.ts";
import { VERSION } from "../version.ts";

export interface ApplyCommandOptions {
  yes?: boolean;
  /** Shared state (postgres://…): hand the plan to the runners instead of running it here. */
  state?: string;
  stateDir?: string;
  ignoreWindow?: boolean;
  only?: string;
  acceptNewHostKeys?: boolean;
  json?: boolean;
  output?: OutputFormat;
  /** apply only: end each workload before this step. */
  stopBefore?: StepName;
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

export function run(
  file: string,
  options: ApplyCommandOptions = {},
  deps: ApplyDeps = { prompter: terminalPrompter(), interactive: canPrompt() },
): Promise<number> {
  return runOfKind("apply", file, options, deps);
}

/** What a rehearse or sync run is about to do, for the confirmation. */
function kindText(kind: Exclude<RunKind, "apply">, names: readonly string[]): string {
  const what =
    kind === "rehearse"
      ? "snapshot, transfer and reconfigure without a freeze, then start the targets' services, run the verify checks against the targets directly and stop those services again"
      : "snapshot, transfer and reconfigure again without a freeze, so the cutover's final delta stays small";
  return `${kind} ${names.join(", ")}: ${what}. The sources keep serving; traffic is not switched.\n`;
}

export async function runOfKind(
  kind: RunKind,
  file: string,
  options: ApplyCommandOptions,
  deps: ApplyDeps,
): Promise<number> {
  if (!options.yes && !deps.interactive) {
    throw new UserError("usage", `${kind} changes hosts and asks first, but there is no terminal to ask on`, {
      hint: `pass --yes to ${kind} without asking: migrate ${kind} ${file} --yes`,
    });
  }
  outputFormat(options); // a conflicting --json/--output is refused before anything else
  const loaded = await loadPlanOrThrow(file);
  const { plan } = loaded;
  for (const warning of loaded.warnings) process.stderr.write(`${formatDiagnostic(warning)}\n`);
  const only = parseOnly(options.only);
  const selected = selectWorkloads(plan, only);
  const url = resolveStateUrl(options.state);
  if (url && (kind !== "apply" || options.stopBefore)) {
    // Runners take whole workloads to verified; a rehearsal or a stop before a step on shared
    // state would need a job kind of its own, which runners do not know yet.
    throw new UserError(
      "usage",
      `${kind}${options.stopBefore ? ` --stop-before ${options.stopBefore}` : ""} works on the local state only, but shared state is set (--state or MIGRATE_STATE_URL)`,
      { hint: `unset MIGRATE_STATE_URL and drop --state to ${kind} from this machine's journal` },
    );
  }
  if (url) {
    return applyShared({
      file,
      loaded,
      url,
      selected,
      yes: options.yes ?? false,
      ignoreWindow: options.ignoreWindow ?? false,
      acceptNewHostKeys: options.acceptNewHostKeys ?? false,
      mode: outputFormat(options),
      prompter: deps.prompter,
    });
  }
  const root = await planStateRoot(plan, file, options.stateDir, "write");
  const name = plan.metadata.name;
  const resume = `migrate ${kind} ${file} --yes${options.stateDir ? ` --state-dir ${options.stateDir}` : ""}${kind !== "apply" && options.only ? ` --only ${options.only}` : ""}`;

  return withCommandSession(
    { root, name, holder: `migrate ${kind} ${file}`, journal: true },
    async (session) => {
      const journal = session.journal!;
      const other = otherPlanFile(journal.records, file, name, planStateDir(root, name));
      if (other) throw other;
      // Folded and planned once: the run plan shown below is the object apply executes.
      const ready = prepareApply(plan, journal.records, loaded.hash, { kind, ...(only ? { only } : {}) });
      if (!options.yes && kind !== "apply") {
        process.stderr.write(
          kindText(
            kind,
            selected.map((workload) => workload.name),
          ),
        );
        if (!(await deps.prompter.confirm(`${kind === "rehearse" ? "Rehearse" : "Sync"} now?`))) {
          process.stderr.write("Nothing was changed.\n");
          return ExitCode.error;
        }
      } else if (!options.yes) {
        const { runPlan } = ready;
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
      return execute(file, loaded, { kind, root, name, only, selected, resume, session, options, ready });
    },
  );
}

interface Prepared {
  kind: RunKind;
  root: string;
  name: string;
  only: string[] | undefined;
  selected: ReturnType<typeof selectWorkloads>;
  resume: string;
  session: CommandSession;
  options: ApplyCommandOptions;
  ready: PreparedApply;
}

async function execute(
  file: string,
  loaded: Awaited<ReturnType<typeof loadPlanOrThrow>>,
  prepared: Prepared,
): Promise<number> {
  const { plan } = loaded;
  const { root, name, options, session } = prepared;
  const journal = session.journal!;
  const run = await session.start({
    plan,
    renderer: {
      mode: outputFormat(options),
      title: `${prepared.kind} ${name}`,
      timeZone: plan.defaults.timezone,
      workloads: prepared.selected.map(workloadInfo),
      resumeCommand: prepared.resume,
    },
    runLog: { runDir: (runId) => runDir(root, name, runId) },
    acceptNewHostKeys: options.acceptNewHostKeys ?? false,
  });
  const { pool, scrubber } = run;
  const result = await applyPlan({
    plan,
    kind: prepared.kind,
    ...(options.stopBefore ? { stopBefore: options.stopBefore } : {}),
    // Absolute, so the journal names the plan file whatever directory the next run starts in.
    planFile: resolve(file),
    planHash: loaded.hash,
    // Secrets are cut out of every record and event, not only the run log's.
    journal: run.journal!,
    prepared: prepared.ready,
    steps: STEP_IMPLEMENTATIONS,
    remote: async (host) => pool.remote(host),
    onEvent: run.onEvent,
    signal: run.signal,
    workDir: (workload) => workloadDir(root, name, workload),
    ...(prepared.only ? { only: prepared.only } : {}),
    ignoreWindow: options.ignoreWindow ?? false,
    throttle: run.throttle(plan.defaults.bandwidth, plan.defaults.concurrency),
    ...(session.lock.recovered ? { recoveredLock: session.lock.recovered } : {}),
    ...(process.env.MIGRATE_FAIL_AFTER ? { failAfter: process.env.MIGRATE_FAIL_AFTER } : {}),
    preflight: async (work, signal) => {
      const warnings = await applyPreflight({
        plan,
        work,
        planned: prepared.ready.runPlan.waves.flatMap((w) => w.workloads),
        records: journal.records,
        hosts: pool,
        signal,
        ignoreWindow: options.ignoreWindow ?? false,
        kind: prepared.kind,
      });
      for (const finding of warnings) run.onEvent(readinessEvent(finding));
    },
    version: VERSION,
    argv: process.argv.slice(2),
  });
  const log = run.runLog?.file ? `; log ${run.runLog.file}` : "";
  const done: Record<RunKind, string> = {
    apply: options.stopBefore
      ? `All ${result.outcomes.size} workloads stopped before ${options.stopBefore}; journal ${journal.path}${log}. Next, inside the window: migrate apply ${file}`
      : `All ${result.outcomes.size} workloads migrated; journal ${journal.path}${log}. Next: migrate report ${file}`,
    rehearse: `All ${result.outcomes.size} workloads rehearsed on their targets; production untouched; journal ${journal.path}${log}. Next: migrate status ${file}, migrate report ${file}`,
    sync: `All ${result.outcomes.size} workloads synced without a freeze; journal ${journal.path}${log}. Next: migrate apply ${file} inside the window`,
  };
  const message =
    result.status === "succeeded"
      ? done[prepared.kind]
      : result.status === "interrupted"
        ? `Stopped; finished steps are journaled. Resume with: ${prepared.resume}`
        : `Some workloads did not finish (see above; \`migrate status ${file}\`). Fix the cause and resume with: ${prepared.resume}`;
  await run.renderer?.done({ message: scrubber.text(message) });
  if (result.status === "interrupted") return ExitCode.interrupted;
  return result.status === "succeeded" ? ExitCode.ok : ExitCode.partial;
}
