/**
 * The details part of `migrate plan --verbose`: each workload with its dependencies, hosts and
 * tenant, and each remaining step's actions with their undo. Steps the journal marks done are
 * left out. Windows are shown in the plan's time zone.
 */

import type { Action, ManifestAction, RewriteAction, SyncAction } from "../engine/planning/plan-actions.ts";
import type { RunStep, RunWorkload } from "../engine/planning/planner.ts";
import { formatBytes } from "../plan/bytes.ts";
import { formatWindow } from "../plan/time.ts";
import { STAGING_ROOT } from "../steps/staging.ts";

function undoOf(action: Action): string {
  const undo = "undo" in action ? action.undo : undefined;
  return undo ? `  [undo: ${undo.summary}]` : "";
}

function withSize(action: { path: string; bytes?: number; files?: number }): string {
  return action.bytes === undefined
    ? action.path
    : `${action.path} (${formatBytes(action.bytes)}, ${action.files} files)`;
}

/**
 * Consecutive manifests of one host, and consecutive file syncs between the same two hosts, read
 * better as one line listing the paths; everything else is one line per action.
 */
function actionLines(actions: readonly Action[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < actions.length; i++) {
    const action = actions[i]!;
    if (
      action.type === "manifest" ||
      (action.type === "sync" && !action.path.startsWith(STAGING_ROOT)) ||
      (action.type === "rewrite" && action.phase === "final")
    ) {
      const group = [action];
      while (i + 1 < actions.length && sameGroup(action, actions[i + 1]!))
        group.push(actions[++i] as typeof action);
      if (group.length > 1) {
        lines.push(groupSummary(group));
        continue;
      }
    }
    lines.push(`${action.summary}${undoOf(action)}`);
  }
  return lines;
}

function sameGroup(a: Action, b: Action): boolean {
  if (a.type === "manifest" && b.type === "manifest") return a.host === b.host && a.hash === b.hash;
  if (a.type === "rewrite" && b.type === "rewrite") return a.host === b.host && a.phase === b.phase;
  if (a.type === "sync" && b.type === "sync") {
    return a.from === b.from && a.to === b.to && a.phase === b.phase && !b.path.startsWith(STAGING_ROOT);
  }
  return false;
}

function groupSummary(group: (ManifestAction | SyncAction | RewriteAction)[]): string {
  const first = group[0]!;
  if (first.type === "rewrite") {
    const files = group.map((a) => (a as RewriteAction).file).join(", ");
    return `on ${first.host}, rewrite again whichever of ${files} the final sync replaced`;
  }
  const paths = group.map((a) => withSize(a as ManifestAction | SyncAction)).join(", ");
  if (first.type === "manifest") return `record ${first.hash} manifests on ${first.host} of ${paths}`;
  if (first.phase === "initial")
    return `copy ${first.from} -> ${first.to} in verified tar batches: ${paths}; the target will be checked first and what it already holds (digest verified there) is not sent`;
  return `final sync ${first.from} -> ${first.to} of ${paths}: send what changed since the snapshot, delete what the source no longer has`;
}

function stepLines(step: RunStep, timeZone: string): string[] {
  const window = step.window ? ` (in window ${formatWindow(step.window, timeZone)})` : "";
  const head = `    ${step.name}${window}`;
  if (step.actions.length === 0) return [`${head}: nothing to do`];
  return [head, ...actionLines(step.actions).map((line) => `      - ${line}`)];
}

/** One workload's lines: heading, hosts, budget, then every pending step with its actions. */
export function workloadLines(w: RunWorkload, timeZone: string): string[] {
  const deps = w.dependsOn.length > 0 ? `, after ${w.dependsOn.join(", ")}` : "";
  const done = w.steps.filter((s) => s.status === "done").map((s) => s.name);
  const lines = [
    `  ${w.name} (${w.bureau}, ${w.kind}, MLPS ${w.classification}, ${w.zone}${deps})`,
    `    ${w.source} -> ${w.target} in tenant ${w.tenant.name} (${w.tenant.cloud}, ${w.tenant.zone}, ${w.tenant.arch})`,
  ];
  if (w.downtimeBudget) lines.push(`    downtime budget ${w.downtimeBudget}`);
  if (done.length > 0) lines.push(`    already done: ${done.join(", ")}`);
  for (const step of w.steps) if (step.status === "pending") lines.push(...stepLines(step, timeZone));
  return lines;
}
