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

export interface PlanOptions {
  json?: boolean;
  inventory?: string;
  stateDir?: string;
}

/** Steps the journal records as finished; none when there is no journal yet. */
async function completedSteps(stateRoot: string, planName: string): Promise<Set<string>> {
  try {
    await access(journalPath(stateRoot, planName));
  } catch {
    return new Set();
  }
  const { readCompletedSteps } = await import("../../engine/journal-read.ts");
  return readCompletedSteps(stateRoot, planName);
}

export async function run(file: string, options: PlanOptions = {}): Promise<number> {
  const inventory: InventoryFacts | undefined = options.inventory
    ? await readInventoryFacts(options.inventory)
    : undefined;
  const loaded = await loadPlanOrThrow(file, inventory ? { inventory } : {});
  for (const warning of loaded.warnings) process.stderr.write(`${formatDiagnostic(warning)}\n`);
  const root = resolveStateRoot(file, loaded.plan.defaults.stateDir, options.stateDir);
  const completed = await completedSteps(root, loaded.plan.metadata.name);
  const runPlan = planRun(loaded.plan, {
    completed,
    planHash: loaded.hash,
    ...(inventory ? { inventory } : {}),
  });
  process.stdout.write(options.json ? `${JSON.stringify(runPlan, null, 2)}\n` : runPlanText(runPlan));
  return runPlan.summary.pendingSteps === 0 ? ExitCode.ok : ExitCode.pending;
}
