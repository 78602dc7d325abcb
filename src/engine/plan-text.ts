/**
 * The human form of a run plan, for `migrate plan`: waves, workloads with their dependencies,
 * and each remaining step's actions with their undo. Steps the journal marks done are left out.
 */
import type { Action } from "./plan-actions.ts";
import type { RunPlan, RunStep, RunWorkload } from "./planner.ts";

function undoOf(action: Action): string {
  const undo = "undo" in action ? action.undo : undefined;
  return undo ? `  [undo: ${undo.summary}]` : "";
}

function stepLines(step: RunStep): string[] {
  const window = step.window ? ` (in window ${step.window.start} .. ${step.window.end})` : "";
  const head = `    ${step.name}${window}`;
  if (step.actions.length === 0) return [`${head}: nothing to do`];
  return [head, ...step.actions.map((a) => `      - ${a.summary}${undoOf(a)}`)];
}

function workloadLines(w: RunWorkload): string[] {
  const deps = w.dependsOn.length > 0 ? `, after ${w.dependsOn.join(", ")}` : "";
  const done = w.steps.filter((s) => s.status === "done").map((s) => s.name);
  const lines = [
    `  ${w.name} (${w.bureau}, ${w.kind}, MLPS ${w.classification}, ${w.zone}${deps})`,
    `    ${w.source} -> ${w.target} in tenant ${w.tenant.name} (${w.tenant.cloud}, ${w.tenant.zone}, ${w.tenant.arch})`,
  ];
  if (w.downtimeBudget) lines.push(`    downtime budget ${w.downtimeBudget}`);
  if (done.length > 0) lines.push(`    already done: ${done.join(", ")}`);
  for (const step of w.steps) if (step.status === "pending") lines.push(...stepLines(step));
  return lines;
}

/** What `migrate plan` prints without --json. */
export function runPlanText(run: RunPlan): string {
  const { summary } = run;
  const { concurrency, perHostConcurrency, bandwidth } = run.defaults;
  const limit = bandwidth ? `, transfers limited to ${bandwidth} in total` : "";
  const lines = [
    `Plan ${run.plan.name} (${run.plan.owner})`,
    `${concurrency} workloads at a time, ${perHostConcurrency} per source host${limit}`,
  ];
  if (summary.pendingSteps === 0) {
    lines.push(`Nothing to do: all ${summary.workloads} workloads are done.`);
    return `${lines.join("\n")}\n`;
  }
  for (const wave of run.waves) {
    if (wave.status === "done") {
      lines.push("", `Wave ${wave.wave}: done (${wave.workloads.length} workloads)`);
      continue;
    }
    const pending = wave.workloads.filter((w) => w.status !== "done");
    const doneCount = wave.workloads.length - pending.length;
    lines.push(
      "",
      `Wave ${wave.wave}: ${pending.length} workload${pending.length === 1 ? "" : "s"}${doneCount > 0 ? ` (${doneCount} done)` : ""}`,
    );
    for (const w of pending) lines.push(...workloadLines(w));
  }
  const doneNote = summary.doneSteps > 0 ? `, ${summary.doneSteps} already done` : "";
  lines.push(
    "",
    `${summary.pendingSteps} steps pending in ${summary.pendingWorkloads} of ${summary.workloads} workloads${doneNote}. Nothing was executed; run \`migrate apply\` to do this.`,
  );
  return `${lines.join("\n")}\n`;
}
