/**
 * Where a plan's state lives: `<root>/<plan name>/` with `journal.jsonl`, `lock`, per-workload
 * artefacts and per-run logs. The root is `--state-dir`, else the plan's `defaults.stateDir`
 * (relative to the plan file), else `.migrate/` beside the plan.
 */
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";

export function resolveStateRoot(
  planFile: string,
  planStateDir: string | undefined,
  override?: string,
): string {
  if (override) return resolve(expandHome(override));
  const planDir = dirname(resolve(planFile));
  if (planStateDir) {
    const expanded = expandHome(planStateDir);
    return isAbsolute(expanded) ? expanded : resolve(planDir, expanded);
  }
  return join(planDir, ".migrate");
}

function expandHome(path: string): string {
  return path === "~" || path.startsWith("~/") ? join(homedir(), path.slice(1)) : path;
}

export function planStateDir(root: string, planName: string): string {
  return join(root, planName);
}

export function journalPath(root: string, planName: string): string {
  return join(root, planName, "journal.jsonl");
}

export function lockPath(root: string, planName: string): string {
  return join(root, planName, "lock");
}

/** Local artefacts of one workload (manifests); stable across runs so a resume finds them. */
export function workloadDir(root: string, planName: string, workload: string): string {
  return join(root, planName, "workloads", workload);
}

/** Per-run files: the structured log (`log.ndjson`) and anything else of that run only. */
export function runDir(root: string, planName: string, runId: string): string {
  return join(root, planName, "runs", runId);
}
