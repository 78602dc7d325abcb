/**
 * Paths the operator hands to a command (--out, --state-dir, the plan's defaults.stateDir),
 * checked before any work so a typo ends in one located user error, not a stack trace after
 * every host was asked.
 */
import { mkdir, stat, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { resolveStateRoot } from "../engine/journal/state-dir.ts";
import { UserError } from "../errors.ts";
import { type LoadedPlan, loadPlanOrThrow } from "../plan/load.ts";
import type { Plan } from "../plan/schema.ts";

type Errno = NodeJS.ErrnoException;

async function kindOf(path: string): Promise<"directory" | "file" | "missing"> {
  try {
    return (await stat(path)).isDirectory() ? "directory" : "file";
  } catch (error) {
    if ((error as Errno).code === "ENOENT" || (error as Errno).code === "ENOTDIR") return "missing";
    throw cannotUse(path, path, error);
  }
}

function cannotUse(label: string, path: string, error: unknown): UserError {
  const code = (error as Errno).code;
  const why =
    code === "EACCES" || code === "EPERM"
      ? "permission denied"
      : code === "EROFS"
        ? "the file system is read-only"
        : code === "ENOENT"
          ? "this file system does not allow creating it"
          : code === "ENOSPC"
            ? "no space left on the device"
            : ((error as Error).message ?? String(error));
  return new UserError("usage", `${label}: cannot use ${path}: ${why}`, {
    hint: "choose a path this user can write, or fix the permissions",
  });
}

/** An output file (`--out`) must be creatable: its directory exists, and it is not a directory. */
export async function checkOutputFile(file: string, flag = "--out"): Promise<void> {
  const label = `${flag} ${file}`;
  if ((await kindOf(file)) === "directory") {
    throw new UserError("usage", `${label} is a directory, not a file`, {
      hint: `name a file in it, e.g. ${flag} ${resolve(file, "report.md")}`,
    });
  }
  const parent = dirname(resolve(file));
  const kind = await kindOf(parent);
  if (kind !== "directory") {
    throw new UserError(
      "usage",
      `${label}: ${kind === "missing" ? `the directory ${parent} does not exist` : `${parent} is not a directory`}`,
      { hint: `create the directory first (mkdir -p ${parent}) or choose another path` },
    );
  }
}

/** Writes an output file, turning a failure (a directory removed meanwhile, a full disk) into a user error. */
export async function writeOutputFile(file: string, text: string, flag = "--out"): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (error) {
    throw cannotUse(`${flag} ${file}`, file, error);
  }
}

export interface StateRootOptions {
  planFile: string;
  planStateDir: string | undefined;
  override: string | undefined;
  /**
   * `read`: status, report and logs read a journal, so a --state-dir that does not exist is a
   * typo; `plan`: a dry run before the first apply may name the directory apply will create;
   * `write`: apply and rollback create it.
   */
  mode: "read" | "plan" | "write";
}

/** The state root of a loaded plan: its `defaults.stateDir`, or --state-dir, checked. */
export function planStateRoot(
  plan: Plan,
  planFile: string,
  override: string | undefined,
  mode: StateRootOptions["mode"],
): Promise<string> {
  return stateRoot({ planFile, planStateDir: plan.defaults.stateDir, override, mode });
}

/**
 * The state root, checked: it must be a directory. A read-only command given a --state-dir that
 * does not exist says so (a typo would otherwise read as "never applied"); apply creates it one
 * level at a time (Node's recursive mkdir never returns under /proc).
 */
export async function stateRoot(options: StateRootOptions): Promise<string> {
  const root = resolveStateRoot(options.planFile, options.planStateDir, options.override);
  const label =
    options.override !== undefined
      ? `--state-dir ${options.override}`
      : options.planStateDir !== undefined
        ? `defaults.stateDir ${options.planStateDir} (${options.planFile})`
        : `the state directory ${root}`;
  const kind = await kindOf(root);
  if (kind === "file") {
    throw new UserError("usage", `${label} is a file, not a directory`, {
      hint: "pass the directory that holds the plan's state (default: .migrate/ beside the plan)",
    });
  }
  if (kind === "directory" || options.mode === "plan") return root;
  if (options.mode === "read") {
    if (options.override === undefined) return root;
    throw new UserError("usage", `${label}: the directory ${root} does not exist`, {
      hint: `check the path; \`migrate apply\` creates it on its first run, and without --state-dir the state is ${resolveStateRoot(options.planFile, options.planStateDir)}`,
    });
  }
  await makeDirectory(root, label);
  return root;
}

async function makeDirectory(dir: string, label: string): Promise<void> {
  const missing: string[] = [];
  let at = dir;
  for (;;) {
    const kind = await kindOf(at);
    if (kind === "directory") break;
    if (kind === "file") {
      throw new UserError("usage", `${label}: ${at} is a file, so ${dir} cannot be created`, {
        hint: "choose a state directory that is not inside a file",
      });
    }
    missing.unshift(at);
    if (dirname(at) === at) break;
    at = dirname(at);
  }
  for (const level of missing) {
    try {
      await mkdir(level);
    } catch (error) {
      if ((error as Errno).code === "EEXIST") continue;
      throw cannotUse(label, level, error);
    }
  }
}

/** The plan and its checked state root, for the commands that only read a run's journal or logs. */
export async function readPlanState(
  planFile: string,
  override: string | undefined,
): Promise<{ loaded: LoadedPlan; root: string; planName: string }> {
  const loaded = await loadPlanOrThrow(planFile);
  const root = await planStateRoot(loaded.plan, planFile, override, "read");
  return { loaded, root, planName: loaded.plan.metadata.name };
}
