/**
 * Load a plan file: read it, hash its bytes (the journal pins runs to this hash), analyze it.
 * `loadPlan` never throws for a bad plan; `loadPlanOrThrow` is for commands that need a valid one.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../errors.ts";
import { analyzePlanText } from "./analyze.ts";
import { type Diagnostic, errorsOf, formatDiagnostic, warningsOf } from "./diagnostics.ts";
import type { InventoryFacts } from "./inventory-facts.ts";
import type { Plan } from "./schema.ts";

export interface LoadOptions {
  inventory?: InventoryFacts;
  /** The time windows are judged against (default: now). */
  now?: number;
}

export interface LoadResult {
  file: string;
  text: string;
  /** Defined only when there is no error diagnostic. */
  plan: Plan | undefined;
  /** Errors and warnings, in source order. */
  diagnostics: Diagnostic[];
  /** sha256 hex of the file bytes. */
  hash: string;
}

export interface LoadedPlan {
  file: string;
  text: string;
  plan: Plan;
  hash: string;
  warnings: Diagnostic[];
}

/** Read, hash and analyze a plan file; every problem comes back as a diagnostic, never thrown. */
export async function loadPlan(file: string, options: LoadOptions = {}): Promise<LoadResult> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    return unreadable(file, error);
  }
  const binary = bytes.subarray(0, 8192).indexOf(0);
  if (binary >= 0) {
    return failed(file, {
      message: `${file} is not a text file (a NUL byte at offset ${binary}); a plan is YAML text`,
      hint: "pass the plan's .yaml file; `migrate schema` prints the format",
    });
  }
  const hash = createHash("sha256").update(bytes).digest("hex");
  const text = bytes.toString("utf8");
  const { plan, diagnostics } = analyzePlanText(file, text, options);
  return { file, text, plan, diagnostics, hash };
}

function failed(file: string, problem: { message: string; hint?: string }): LoadResult {
  const diagnostic: Diagnostic = {
    file,
    line: 1,
    column: 1,
    severity: "error",
    code: "unreadable",
    message: problem.message,
    ...(problem.hint ? { hint: problem.hint } : {}),
    path: [],
  };
  return { file, text: "", plan: undefined, diagnostics: [diagnostic], hash: "" };
}

function unreadable(file: string, error: unknown): LoadResult {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return failed(file, { message: "cannot read plan: no such file" });
  if (code === "EISDIR") {
    return failed(file, {
      message: `cannot read plan: ${file} is a directory`,
      hint: `name a plan file in it, e.g. \`migrate validate ${join(file, "*.yaml")}\``,
    });
  }
  if (code === "EACCES")
    return failed(file, {
      message: "cannot read plan: permission denied",
      hint: "check the file's permissions",
    });
  return failed(file, { message: `cannot read plan: ${(error as Error).message}` });
}

/** A valid plan, or a UserError("invalid-plan") listing every error, one per line. */
export async function loadPlanOrThrow(file: string, options: LoadOptions = {}): Promise<LoadedPlan> {
  return validOrThrow(file, await loadPlan(file, options));
}

/**
 * A plan held as text rather than read from a file (the plan an operator applied, as the shared
 * state keeps it), hashed and checked as loadPlanOrThrow checks a file.
 */
export function planFromTextOrThrow(file: string, text: string, options: LoadOptions = {}): LoadedPlan {
  const hash = createHash("sha256").update(text, "utf8").digest("hex");
  return validOrThrow(file, { file, text, hash, ...analyzePlanText(file, text, options) });
}

function validOrThrow(file: string, result: LoadResult): LoadedPlan {
  const errors = errorsOf(result.diagnostics);
  if (result.plan === undefined || errors.length > 0) {
    throw new UserError("invalid-plan", errors.map(formatDiagnostic).join("\n"), {
      hint: `fix the plan; \`migrate validate ${file}\` lists every problem with its line`,
    });
  }
  return {
    file,
    text: result.text,
    plan: result.plan,
    hash: result.hash,
    warnings: warningsOf(result.diagnostics),
  };
}
