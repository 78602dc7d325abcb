/**
 * `migrate plan <plan>`: the dry run. Prints what apply would do (only what remains once a
 * journal exists). Exit codes follow Terraform's -detailed-exitcode: 0 nothing to do, 2 work
 * pending, 1 error.
 */
import { access } from "node:fs/promises";
import { runPlanText } from "../../engine/plan-text.ts";
import { planRun } from "../../engine/planner.ts";
import { journalPath, resolveStateRoot } from "../../engine/state-dir.ts";
import { ExitCode } from "../../exit-codes.ts";
import { formatDiagnostic } from "../../plan/diagnostics.ts";
import { type InventoryFacts, readInventoryFacts } from "../../plan/inventory-facts.ts";
import { loadPlanOrThrow } from "../../plan/load.ts";
import type { Plan } from "../../plan/schema.ts";

export interface PlanOptions {
  json?: boolean;
  inventory?: string;
  stateDir?: string;
}

interface JournalView {
  completed: Set<string>;
  /** Why apply would refuse to resume (the plan changed under finished steps), if it would. */
  refusal?: string;
}

/**
 * Steps the journal records as finished; none when there is no journal yet. The journal
 * modules are imported only when a journal exists, so a first dry run loads nothing extra.
 */
async function readJournalView(plan: Plan, stateRoot: string): Promise<JournalView> {
  const file = journalPath(stateRoot, plan.metadata.name);
  try {
    await access(file);
  } catch {
    return { completed: new Set() };
  }
  const { readCompletedSteps, readJournal, summarize } = await import("../../engine/journal-read.ts");
  const { findPlanChanges, planChangedError } = await import("../../engine/resume-check.ts");
  const completed = await readCompletedSteps(stateRoot, plan.metadata.name);
  const { records } = await readJournal(file);
  const changes = findPlanChanges(plan, records, summarize(records));
  return changes.length > 0 ? { completed, refusal: planChangedError(changes).message } : { completed };
}

export async function run(file: string, options: PlanOptions = {}): Promise<number> {
  const inventory: InventoryFacts | undefined = options.inventory
    ? await readInventoryFacts(options.inventory)
    : undefined;
  const loaded = await loadPlanOrThrow(file, inventory ? { inventory } : {});
  for (const warning of loaded.warnings) process.stderr.write(`${formatDiagnostic(warning)}\n`);
  const root = resolveStateRoot(file, loaded.plan.defaults.stateDir, options.stateDir);
  const journal = await readJournalView(loaded.plan, root);
  if (journal.refusal) process.stderr.write(`warning: apply would refuse to resume: ${journal.refusal}\n`);
  const runPlan = planRun(loaded.plan, {
    completed: journal.completed,
    planHash: loaded.hash,
    ...(inventory ? { inventory } : {}),
  });
  process.stdout.write(options.json ? `${JSON.stringify(runPlan, null, 2)}\n` : runPlanText(runPlan));
  if (inventory?.workloads && !options.json) {
    const { buildReadiness, readinessText } = await import("../../report/readiness.ts");
    process.stdout.write(`\n${readinessText(buildReadiness(loaded.plan, inventory))}`);
  }
  return runPlan.summary.pendingSteps === 0 ? ExitCode.ok : ExitCode.pending;
}
