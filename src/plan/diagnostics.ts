/**
 * Located plan diagnostics: every problem found in a plan, pointing at the offending YAML node.
 * Printed as `FILE:LINE:COL: error: message` (the compiler convention editors and CI annotate).
 */
export type Severity = "error" | "warning";

/** A path into the plan document, e.g. ["workloads", 3, "dependsOn", 0]. */
export type PlanPath = (string | number)[];

export interface Diagnostic {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  endLine?: number;
  endColumn?: number;
  severity: Severity;
  /** Stable machine-readable code, e.g. "unknown-reference", "cycle", "inline-secret". */
  code: string;
  message: string;
  path: PlanPath;
  /** What to do about it, when there is something more specific than the message. */
  hint?: string;
}

/** A problem found by a rule before it is located in the source text. */
export interface Finding {
  severity: Severity;
  code: string;
  message: string;
  path: PlanPath;
  /** Point at the key of the last path segment instead of its value (unknown keys). */
  atKey?: boolean;
  hint?: string;
}

/** `FILE:LINE:COL: error: message` (plus the hint), the form editors and CI parse. */
export function formatDiagnostic(d: Diagnostic): string {
  const hint = d.hint ? ` (hint: ${d.hint})` : "";
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}${hint}`;
}

/** Source order, errors before warnings at the same place. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  if (a.line !== b.line) return a.line - b.line;
  if (a.column !== b.column) return a.column - b.column;
  if (a.severity !== b.severity) return a.severity === "error" ? -1 : 1;
  return a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
}

export function errorsOf(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.severity === "error");
}

export function warningsOf(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.severity === "warning");
}
