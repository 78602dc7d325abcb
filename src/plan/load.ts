/**
 * Load a plan file: read it, hash its bytes (the journal pins runs to this hash), analyze it.
 * `loadPlan` never throws for a bad plan; `loadPlanOrThrow` is for commands that need a valid one.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
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
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    const diagnostic: Diagnostic = {
      file,
      line: 1,
      column: 1,
      severity: "error",
      code: "unreadable",
      message: `cannot read plan: ${reason}`,
      path: [],
    };
    return { file, text: "", plan: undefined, diagnostics: [diagnostic], hash: "" };
  }
  const hash = createHash("sha256").update(bytes).digest("hex");
  const text = bytes.toString("utf8");
  const { plan, diagnostics } = analyzePlanText(file, text, options);
  return { file, text, plan, diagnostics, hash };
}

/** A valid plan, or a UserError("invalid-plan") listing every error, one per line. */
export async function loadPlanOrThrow(file: string, options: LoadOptions = {}): Promise<LoadedPlan> {
  const result = await loadPlan(file, options);
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
