/**
 * YAML syntax errors as a plan author needs them: one error for one mistake (the parser's
 * follow-on errors after the first are noise), at the line and column of the offending key,
 * naming it, saying what is wrong with its indentation, with a hint. The parser finds *that*
 * something is wrong; the lines around it say *what*: a tab, a key out of line with its
 * siblings, a list entry without "-", a block dedented under its parent, a duplicate key.
 */
import type { LineCounter } from "yaml";
import type { Diagnostic } from "./diagnostics.ts";

export interface YamlError {
  pos: [number, number];
  message: string;
  code: string;
}

interface Line {
  /** 1-based line number. */
  number: number;
  text: string;
  /** Leading whitespace (spaces and tabs). */
  lead: string;
  /** 0-based column of the key after any "- " markers, when the line holds `key:`. */
  keyColumn?: number;
  key?: string;
  /** 0-based column of the first "-" when the line starts a list entry. */
  dashColumn?: number;
  /** The line is `key:` with nothing after it: a nested block follows. */
  opensBlock: boolean;
}

const KEY =
  /^((?:-[ \t]+)*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s#'"{[\]},&*!|>%@`-][^#:]*?|-[^\s#:][^#:]*?)[ \t]*:(?:[ \t]|$)/;

function lineAt(text: string, number: number): Line {
  const raw = text.split(/\r?\n/)[number - 1] ?? "";
  const lead = /^[ \t]*/.exec(raw)![0];
  const rest = raw.slice(lead.length);
  const match = KEY.exec(rest);
  const line: Line = { number, text: raw, lead, opensBlock: false };
  if (rest.startsWith("-") && /^-(?:[ \t]|$)/.test(rest)) line.dashColumn = lead.length;
  if (match) {
    line.keyColumn = lead.length + match[1]!.length;
    line.key = match[2]!.replace(/^["']|["']$/g, "");
    line.opensBlock = /:[ \t]*(?:#.*)?$/.test(rest.slice(match[1]!.length + match[2]!.length));
  }
  return line;
}

function isContent(text: string): boolean {
  const trimmed = text.trim();
  return trimmed !== "" && !trimmed.startsWith("#") && trimmed !== "---";
}

/** The content line before `number`, if any. */
function previousContent(text: string, number: number): Line | undefined {
  const lines = text.split(/\r?\n/);
  for (let n = number - 1; n >= 1; n--) if (isContent(lines[n - 1]!)) return lineAt(text, n);
  return undefined;
}

function nextContent(text: string, number: number): Line | undefined {
  const lines = text.split(/\r?\n/);
  for (let n = number + 1; n <= lines.length; n++) if (isContent(lines[n - 1]!)) return lineAt(text, n);
  return undefined;
}

/**
 * The columns a line may start at after `from`: the key columns of `from` and of each mapping
 * it is nested in, and the "-" columns of the lists it is nested in, innermost first.
 */
function levels(text: string, from: Line): { keys: Line[]; dashes: Line[] } {
  const keys: Line[] = [];
  const dashes: Line[] = [];
  let bound = Number.POSITIVE_INFINITY;
  for (let at: Line | undefined = from; at && bound > 0; at = previousContent(text, at.number)) {
    if (at.dashColumn !== undefined && at.dashColumn < bound) dashes.push(at);
    if (at.keyColumn !== undefined && at.keyColumn < bound) {
      keys.push(at);
      bound = at.keyColumn;
    }
    if (at.dashColumn !== undefined && at.dashColumn < bound) bound = at.dashColumn;
  }
  return { keys, dashes };
}

function spaces(n: number): string {
  return `${n} space${n === 1 ? "" : "s"}`;
}

function named(line: Line): string {
  return line.key !== undefined ? `"${line.key}"` : `line ${line.number}`;
}

interface Explained {
  line: number;
  column: number;
  message: string;
  hint: string;
}

/** An indentation mistake on `bad`, judged against the lines before it. */
function explainIndent(text: string, bad: Line): Explained | undefined {
  const column = (bad.keyColumn ?? bad.dashColumn ?? bad.lead.length) + 1;
  if (bad.lead.includes("\t")) {
    const before = previousContent(text, bad.number);
    const want = before?.keyColumn === undefined ? undefined : before.keyColumn + (before.opensBlock ? 2 : 0);
    return {
      line: bad.number,
      column: bad.lead.indexOf("\t") + 1,
      message: `${named(bad)} is indented with a tab; YAML indents with spaces only`,
      hint:
        want === undefined
          ? "replace the tab with spaces"
          : `replace the indentation with ${spaces(want)}${before?.opensBlock ? ` (the block under "${before.key}")` : ` like "${before?.key}" on line ${before?.number}`}`,
    };
  }
  const before = previousContent(text, bad.number);
  const at = bad.keyColumn ?? bad.dashColumn;
  if (!before || at === undefined || before.keyColumn === undefined) return undefined;
  const { keys, dashes } = levels(text, before);
  if (before.opensBlock && at <= before.keyColumn && !keys.some((k) => k.keyColumn === at)) {
    return {
      line: bad.number,
      column,
      message: `${named(bad)} is indented ${spaces(at)}, less than "${before.key}:" above it (${spaces(before.keyColumn)}); the block under "${before.key}" must be indented more`,
      hint: `indent the lines under "${before.key}:" by ${spaces(before.keyColumn + 2)}`,
    };
  }
  const list = dashes.find((d) => d.dashColumn === at);
  if (bad.dashColumn === undefined && list) {
    const owner = previousContent(text, list.number);
    const of = owner?.key !== undefined && owner.opensBlock ? ` of "${owner.key}"` : "";
    return {
      line: bad.number,
      column,
      message: `${named(bad)} starts a new entry${of} at the column of the "-" entries above it (line ${list.number}), but has no "-"`,
      hint: `write it as "${" ".repeat(at)}- ${bad.text.trim()}"`,
    };
  }
  if (keys.some((k) => k.keyColumn === at)) return undefined;
  const sibling = keys.find((k) => k.keyColumn! > at) ?? before;
  const closer = [...keys].reverse().find((k) => k.keyColumn! > at) ?? sibling;
  const want = at > before.keyColumn ? before : closer;
  return {
    line: bad.number,
    column,
    message: `${named(bad)} is indented ${spaces(at)}, but "${want.key}" (line ${want.number}), the key it belongs with, is indented ${spaces(want.keyColumn!)}`,
    hint: `keys of one mapping line up: indent ${named(bad)} by ${spaces(want.keyColumn!)}${at > before.keyColumn ? `, or end line ${before.number} with "${before.key}:" to open a block` : ""}`,
  };
}

/** The earlier definition of the duplicate key on `line`, in the same mapping. */
function firstDefinition(text: string, line: Line): Line | undefined {
  for (let at = previousContent(text, line.number); at; at = previousContent(text, at.number)) {
    if (at.keyColumn === line.keyColumn && at.key === line.key) return at;
    const start = at.dashColumn ?? at.keyColumn ?? at.lead.length;
    if (start < line.keyColumn! && at.keyColumn !== line.keyColumn) return undefined;
    if (at.dashColumn !== undefined && at.keyColumn === line.keyColumn) return undefined;
  }
  return undefined;
}

function explain(text: string, error: YamlError, lines: LineCounter): Explained | undefined {
  const start = lines.linePos(error.pos[0]);
  let line = lineAt(text, start.line);
  if (error.code === "DUPLICATE_KEY" && line.key !== undefined) {
    const first = firstDefinition(text, line);
    return {
      line: line.number,
      column: line.keyColumn! + 1,
      message: `key "${line.key}" appears twice in this mapping${first ? ` (first on line ${first.number})` : ""}`,
      hint: `keep one of them; if line ${line.number} starts a new list entry, put "- " before its first key`,
    };
  }
  if (error.code === "MULTIPLE_DOCS") {
    return {
      line: start.line,
      column: start.col,
      message: `a "---" line starts a second YAML document at line ${start.line}; a plan is one document`,
      hint: `remove the "---" line and what follows it, or put the second plan in a file of its own`,
    };
  }
  if (/^Missing closing/.test(error.message)) {
    const quote = error.message.includes("'") ? "'" : '"';
    return {
      line: start.line,
      column: start.col,
      message: `the ${quote} quote opened here${line.key !== undefined ? ` in "${line.key}"` : ""} is never closed`,
      hint: `close it with ${quote} on the same line`,
    };
  }
  if (/^Flow (map|sequence) in block collection/.test(error.message)) {
    const [open, close] = error.message.startsWith("Flow map") ? ["{", "}"] : ["[", "]"];
    const opened = previousContent(text, line.number);
    return {
      line: start.line,
      column: start.col,
      message: `the ${open} … ${close} opened${opened ? ` on line ${opened.number}${opened.key !== undefined ? ` ("${opened.key}")` : ""}` : ""} is not closed before this line`,
      hint: `close it with ${close} on the line where it opens, or write it as an indented block`,
    };
  }
  if (line.lead.includes("\t")) return explainIndent(text, line);
  if (
    ["BAD_INDENT", "MISSING_CHAR", "TAB_AS_INDENT"].includes(error.code) &&
    !/^Missing closing/.test(error.message)
  ) {
    // The parser may point at the end of the line before the culprit.
    if (start.col > line.text.trimEnd().length) line = nextContent(text, line.number) ?? line;
    return explainIndent(text, line);
  }
  if (error.code === "BLOCK_AS_IMPLICIT_KEY" || error.code === "MULTILINE_IMPLICIT_KEY") {
    // `key: value` followed by a more indented `other: value`: the second line is the culprit.
    const next = nextContent(text, line.number);
    if (next) return explainIndent(text, next);
  }
  return undefined;
}

/** The one diagnostic for a YAML document's syntax errors. */
export function yamlSyntaxDiagnostic(
  file: string,
  text: string,
  lines: LineCounter,
  errors: readonly YamlError[],
): Diagnostic {
  const first = [...errors].sort((a, b) => a.pos[0] - b.pos[0])[0]!;
  const explained = explain(text, first, lines);
  if (explained) {
    return {
      file,
      line: explained.line,
      column: explained.column,
      severity: "error",
      code: "yaml",
      message: `YAML syntax error: ${explained.message}`,
      hint: explained.hint,
      path: [],
    };
  }
  const line = lineAt(text, lines.linePos(first.pos[0]).line);
  const column = lines.linePos(first.pos[0]).col;
  const inKey = line.key !== undefined && line.keyColumn! + 1 <= column ? ` (in "${line.key}")` : "";
  return parserDiagnostic(file, lines, "error", first, inKey);
}

/** A parser error or warning as one diagnostic at its own position; `context` ends an error's message. */
export function parserDiagnostic(
  file: string,
  lines: LineCounter,
  severity: "error" | "warning",
  e: YamlError,
  context = "",
): Diagnostic {
  const start = lines.linePos(e.pos[0]);
  const end = lines.linePos(e.pos[1]);
  const message = e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
  return {
    file,
    line: start.line,
    column: start.col,
    endLine: end.line,
    endColumn: end.col,
    severity,
    code: "yaml",
    message: severity === "error" ? `YAML syntax error: ${message}${context}` : `YAML: ${message}`,
    path: [],
  };
}
