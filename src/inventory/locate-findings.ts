/** Turn drift findings into located diagnostics (FILE:LINE:COL) against the plan's YAML text. */
import { LineCounter, parseDocument } from "yaml";
import { compareDiagnostics, type Diagnostic, type Finding } from "../plan/diagnostics.ts";
import { locate } from "../plan/yaml-locate.ts";

export function locateFindings(file: string, text: string, findings: readonly Finding[]): Diagnostic[] {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  return findings
    .map((finding) => {
      const at = locate(document, lineCounter, finding.path, finding.atKey);
      const diagnostic: Diagnostic = {
        file,
        line: at.line,
        column: at.column,
        endLine: at.endLine,
        endColumn: at.endColumn,
        severity: finding.severity,
        code: finding.code,
        message: finding.message,
        path: finding.path,
      };
      if (finding.hint) diagnostic.hint = finding.hint;
      return diagnostic;
    })
    .sort(compareDiagnostics);
}
