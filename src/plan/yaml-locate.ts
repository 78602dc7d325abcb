/**
 * Map a plan path (["workloads", 3, "source"]) to a source range in the parsed YAML document.
 * When the path does not exist (a missing key), the nearest existing parent is used.
 */
import { type Document, isMap, isPair, isScalar, isSeq, type LineCounter, type Node, type Pair } from "yaml";
import type { Diagnostic, Finding, PlanPath } from "./diagnostics.ts";

export interface Located {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** The whole path resolved (false: fell back to a parent). */
  exact: boolean;
}

interface Found {
  node: Node | null;
  key: Node | null;
  exact: boolean;
}

function pairFor(node: Node, segment: string | number): Pair | undefined {
  if (!isMap(node)) return undefined;
  for (const item of node.items) {
    if (!isPair(item)) continue;
    const key = item.key;
    const keyValue = isScalar(key) ? key.value : key;
    if (keyValue === segment || String(keyValue) === String(segment)) return item as Pair;
  }
  return undefined;
}

function walk(document: Document, path: PlanPath): Found {
  let node = document.contents as Node | null;
  let key: Node | null = null;
  for (const segment of path) {
    if (node === null) return { node, key, exact: false };
    if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment] as Node | undefined;
      if (item === undefined || item === null) return { node, key: null, exact: false };
      node = item;
      key = null;
      continue;
    }
    const pair = pairFor(node, segment);
    if (pair === undefined) return { node, key: null, exact: false };
    key = (pair.key as Node | null) ?? null;
    // `name:` with no value: point at the key.
    node = (pair.value as Node | null) ?? key;
    if (node === null) return { node: key, key, exact: false };
  }
  return { node, key, exact: true };
}

/** Locate `path`; `atKey` points at the key of the last segment (unknown keys). */
export function locate(document: Document, lineCounter: LineCounter, path: PlanPath, atKey = false): Located {
  const found = walk(document, path);
  const target = atKey && found.exact && found.key ? found.key : found.node;
  const range = target?.range;
  if (!range) return { line: 1, column: 1, endLine: 1, endColumn: 1, exact: false };
  const start = lineCounter.linePos(range[0]);
  const end = lineCounter.linePos(Math.max(range[0], range[1]));
  return { line: start.line, column: start.col, endLine: end.line, endColumn: end.col, exact: found.exact };
}

/** A rule's finding as a located diagnostic of `file` (plan rules and inventory drift alike). */
export function locateFinding(
  file: string,
  document: Document,
  lineCounter: LineCounter,
  finding: Finding,
): Diagnostic {
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
  if (finding.hint !== undefined) diagnostic.hint = finding.hint;
  return diagnostic;
}
