/** Turn drift findings into located diagnostics (FILE:LINE:COL) against the plan's YAML text. */
import { LineCounter, parseDocument } from "yaml";
import { compareDiagnostics, type Diagnostic, type Finding } from "../plan/diagnostics.ts";
import { locateFinding } from "../plan/yaml-locate.ts";

export function locateFindings(file: string, text: string, findings: readonly Finding[]): Diagnostic[] {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  return findings
    .map((finding) => locateFinding(file, document, lineCounter, finding))
    .sort(compareDiagnostics);
}
