/**
 * Diagnostics for people (`FILE:LINE:COL: error: message`), for tools (JSON, versioned) and for
 * GitHub Actions (workflow-command annotations on the offending line).
 */
import { type Diagnostic, errorsOf, formatDiagnostic, warningsOf } from "../plan/diagnostics.ts";
import type { LoadResult } from "../plan/load.ts";

/** Version of the `migrate validate --json` document (README "CLI reference"). */
export const VALIDATE_JSON_VERSION = 1;

export function validateJson(results: readonly LoadResult[]): string {
  const files = results.map((r) => ({
    file: r.file,
    valid: errorsOf(r.diagnostics).length === 0,
    hash: r.hash,
    errors: errorsOf(r.diagnostics).length,
    warnings: warningsOf(r.diagnostics).length,
    diagnostics: r.diagnostics,
  }));
  return `${JSON.stringify({ version: VALIDATE_JSON_VERSION, valid: files.every((f) => f.valid), files }, null, 2)}\n`;
}

export function validateText(results: readonly LoadResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    for (const d of r.diagnostics) lines.push(formatDiagnostic(d));
    const errors = errorsOf(r.diagnostics).length;
    const warnings = warningsOf(r.diagnostics).length;
    const w = warnings > 0 ? `, ${warnings} warning${warnings === 1 ? "" : "s"}` : "";
    lines.push(
      errors === 0
        ? `${r.file}: valid${w}`
        : `${r.file}: invalid: ${errors} error${errors === 1 ? "" : "s"}${w}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

export function githubAnnotation(d: Diagnostic): string {
  const props = [`file=${escapeProperty(d.file)}`, `line=${d.line}`, `col=${d.column}`];
  if (d.endLine !== undefined) props.push(`endLine=${d.endLine}`);
  if (d.endColumn !== undefined) props.push(`endColumn=${d.endColumn}`);
  props.push(`title=${escapeProperty(`migrate ${d.code}`)}`);
  const hint = d.hint ? ` (hint: ${d.hint})` : "";
  return `::${d.severity} ${props.join(",")}::${escapeData(d.message + hint)}`;
}

export function validateGithub(results: readonly LoadResult[]): string {
  return `${results.flatMap((r) => r.diagnostics.map(githubAnnotation)).join("\n")}\n${validateText(results)}`;
}
