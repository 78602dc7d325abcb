/**
 * `migrate plan <plan>`: the dry run. Prints what apply would do (only what remains once a
 * journal exists). Exits 0 for a valid plan, so `set -e` CI jobs can run it; with
 * --detailed-exitcode (as Terraform's) 0 means nothing to do and 2 work pending. 1 error.
 * The only thing it asks hosts is the replication preflight, read-only (plan-preflight.ts);
 * --offline asks none.
 */
import { access } from "node:fs/promises";
import type { JournalSummary } from "../../engine/journal/journal-fold.ts";
import { journalPath, planStateDir } from "../../engine/journal/state-dir.ts";
import { planRun, type RunPlan } from "../../engine/planning/planner.ts";
import { UserError } from "../../errors.ts";
import { ExitCode } from "../../exit-codes.ts";
import { formatDiagnostic } from "../../plan/diagnostics.ts";
import { type InventoryFacts, readInventoryFacts } from "../../plan/inventory-facts.ts";
import { loadPlanOrThrow } from "../../plan/load.ts";
import type { Plan } from "../../plan/schema.ts";
import { colourWanted, palette } from "../../render/colour.ts";
import { runPlanText } from "../../render/plan-text.ts";
import type { ReplicationState } from "../../steps/db/replication/types.ts";
import { type OutputFormat, outputFormat } from "../output-format.ts";
import { planStateRoot } from "../paths.ts";
import { planPreflight } from "../plan-preflight.ts";

export interface PlanOptions {
  json?: boolean;
  output?: OutputFormat;
  /** Each step's actions after the overview. */
  verbose?: boolean;
  /** Only this wave (text and --json alike; the JSON keeps its shape and whole-plan summary). */
  wave?: number;
  inventory?: string;
  stateDir?: string;
  /** Shared state (postgres://…): what is done comes from its journal. */
  state?: string;
  detailedExitcode?: boolean;
  /** Ask no host: the replication preflight is not run (or comes from --inventory). */
  offline?: boolean;
}

interface JournalView {
  completed: Set<string>;
  /** Per workload, its last rehearsal in words. */
  rehearsals?: Map<string, string>;
  /** Workloads a rehearsal passed (readiness). */
  rehearsed: Set<string>;
  /** Why apply would refuse to resume (the plan changed under finished steps), if it would. */
  refusal?: string;
  /** Replications running now (reconfigure started them, no cutover yet), by `workload/database`. */
  running?: Map<string, ReplicationState>;
}

/** What an earlier apply left replicating: reconfigure finished, the cutover has not. */
function runningReplications(plan: Plan, summary: JournalSummary, completed: ReadonlySet<string>) {
  const running = new Map<string, ReplicationState>();
  for (const { name } of plan.workloads) {
    if (!completed.has(`${name}/reconfigure`) || completed.has(`${name}/cutover`)) continue;
    const started = summary.workloads.get(name)?.steps.reconfigure?.outputs?.replication ?? {};
    for (const [database, state] of Object.entries(started)) running.set(`${name}/${database}`, state);
  }
  return running;
}

/**
 * Steps the journal records as finished; none when there is no journal yet. The journal
 * modules are imported only when a journal exists, so a first dry run loads nothing extra.
 */
async function readJournalView(
  plan: Plan,
  stateRoot: string,
  planFile: string,
  state: string | undefined,
): Promise<JournalView> {
  const shared = state || process.env.MIGRATE_STATE_URL ? await sharedJournal(state, plan) : undefined;
  const file = journalPath(stateRoot, plan.metadata.name);
  if (!shared) {
    try {
      await access(file);
    } catch {
      return { completed: new Set(), rehearsed: new Set() };
    }
  }
  const { readJournal } = await import("../../engine/journal/journal-read.ts");
  const { completedSteps, foldJournal } = await import("../../engine/journal/journal-fold.ts");
  const { findPlanChanges, planChangedError } = await import("../../engine/planning/resume-check.ts");
  const { otherPlanFile } = await import("../../engine/planning/plan-identity.ts");
  const records = shared ?? (await readJournal(file)).records;
  // Folded once: the finished steps and the resume check come from the same summary.
  const summary = foldJournal(records);
  const completed = completedSteps(summary);
  const { rehearsalText, rehearsalView } = await import("../../engine/journal/status.ts");
  const { downtimeBudgetMs } = await import("../../engine/planning/window.ts");
  const rehearsals = new Map<string, string>();
  for (const workload of plan.workloads) {
    const rehearsal = summary.workloads.get(workload.name)?.rehearsal;
    if (!rehearsal) continue;
    const shown = rehearsalView(rehearsal);
    rehearsals.set(workload.name, rehearsalText(shown, downtimeBudgetMs(workload), plan.defaults.timezone));
  }
  const { rehearsedWorkloads } = await import("../../engine/planning/readiness.ts");
  const rehearsed = rehearsedWorkloads(records);
  const running = runningReplications(plan, summary, completed);
  const other = shared
    ? undefined
    : otherPlanFile(records, planFile, plan.metadata.name, planStateDir(stateRoot, plan.metadata.name));
  if (other) return { completed, rehearsals, rehearsed, running, refusal: other.message };
  const changes = findPlanChanges(plan, records, summary);
  return changes.length > 0
    ? { completed, rehearsals, rehearsed, running, refusal: planChangedError(changes).message }
    : { completed, rehearsals, rehearsed, running };
}

/** The shared state's records (loaded only when a state URL is given). */
async function sharedJournal(state: string | undefined, plan: Plan) {
  const { sharedRecords } = await import("../shared-records.ts");
  return sharedRecords(state, plan.metadata.name);
}

/**
 * What apply's readiness gate would say, from what `plan` knows without SSH: the journal
 * (rehearsals, what remains), the windows, and sizes and free space from --inventory.
 */
async function readinessSection(
  runPlan: RunPlan,
  rehearsed: ReadonlySet<string>,
  inventory: InventoryFacts | undefined,
): Promise<string> {
  const { assessReadiness, inventorySpace, readinessLines } = await import(
    "../../engine/planning/readiness.ts"
  );
  const workloads = runPlan.waves.flatMap((wave) => wave.workloads);
  const facts = inventory ? inventorySpace(workloads, inventory) : new Map();
  const findings = assessReadiness(workloads, facts, { now: new Date(), rehearsed });
  if (findings.length === 0) return "";
  const blocks = findings.filter((f) => f.level === "block").length;
  const head = `\nReadiness (${blocks} block, ${findings.length - blocks} warn${inventory ? "" : "; --inventory adds free space"}):`;
  return `${[head, ...readinessLines(findings)].join("\n")}\n`;
}

/** Run `work` with a signal Ctrl-C aborts (plan asks hosts, which can take seconds). */
async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => controller.abort(new UserError("interrupted", "plan interrupted"));
  process.once("SIGINT", onSigint);
  try {
    return await work(controller.signal);
  } finally {
    process.removeListener("SIGINT", onSigint);
  }
}

export async function run(file: string, options: PlanOptions = {}): Promise<number> {
  const format = outputFormat(options);
  const inventory: InventoryFacts | undefined = options.inventory
    ? await readInventoryFacts(options.inventory)
    : undefined;
  const loaded = await loadPlanOrThrow(file, inventory ? { inventory } : {});
  for (const warning of loaded.warnings) process.stderr.write(`${formatDiagnostic(warning)}\n`);
  const root = await planStateRoot(loaded.plan, file, options.stateDir, "plan");
  const journal = await readJournalView(loaded.plan, root, file, options.state);
  if (journal.refusal) process.stderr.write(`warning: apply would refuse to resume: ${journal.refusal}\n`);
  const preflight = await withInterrupt((signal) =>
    planPreflight(loaded.plan, {
      offline: options.offline ?? false,
      inventory,
      workloads: loaded.plan.workloads.filter(
        (w) =>
          !journal.completed.has(`${w.name}/cutover`) &&
          (options.wave === undefined || w.wave === options.wave),
      ),
      running: journal.running ?? new Map(),
      signal,
    }),
  );
  const runPlan = planRun(loaded.plan, {
    completed: journal.completed,
    planHash: loaded.hash,
    preflight,
    ...(inventory ? { inventory } : {}),
  });
  const waves = runPlan.waves.map((w) => w.wave);
  if (options.wave !== undefined && !waves.includes(options.wave)) {
    throw new UserError(
      "usage",
      `--wave ${options.wave}: plan ${runPlan.plan.name} has no wave ${options.wave}`,
      {
        hint: `its waves are ${waves.join(", ")}`,
      },
    );
  }
  if (format === "json") {
    const shown =
      options.wave === undefined
        ? runPlan
        : { ...runPlan, waves: runPlan.waves.filter((w) => w.wave === options.wave) };
    process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
  } else {
    const tty = Boolean(process.stdout.isTTY);
    process.stdout.write(
      runPlanText(runPlan, {
        planFile: file,
        style: palette(colourWanted(tty)),
        ...(options.verbose ? { verbose: true } : {}),
        ...(journal.rehearsals ? { rehearsals: journal.rehearsals } : {}),
        ...(options.wave !== undefined ? { wave: options.wave } : {}),
        ...(tty && process.stdout.columns ? { width: process.stdout.columns } : {}),
      }),
    );
    process.stdout.write(await readinessSection(runPlan, journal.rehearsed, inventory));
    if (inventory?.workloads) {
      const { buildReadiness, readinessText } = await import("../../report/readiness.ts");
      process.stdout.write(`\n${readinessText(buildReadiness(loaded.plan, inventory))}`);
    }
  }
  return options.detailedExitcode && runPlan.summary.pendingSteps > 0 ? ExitCode.pending : ExitCode.ok;
}
