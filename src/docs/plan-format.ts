/**
 * The plan-format reference tables (docs/plan-format.md), generated from the plan's JSON Schema,
 * which is generated from the zod schema: a field, its type, its default and its description are
 * written once, in src/plan/schema.ts.
 */

import { BANDWIDTH } from "../plan/bytes.ts";
import { DURATION } from "../plan/duration.ts";
import { planJsonSchema } from "../plan/json-schema.ts";
import { ABSOLUTE_PATH_PATTERN } from "../plan/rules/paths.ts";
import { WINDOW_TIME } from "../plan/rules/windows.ts";
import { DB_NAME, ENV_NAME, FINGERPRINT, HOST_NAME, SAFE_NAME } from "../plan/schema.ts";

/** Readable names for the schema's patterns (a regex in a table helps nobody). */
const PATTERNS = new Map<string, string>([
  [SAFE_NAME.source, "name: `a-z`, `0-9`, `-`"],
  [HOST_NAME.source, "host name: letters, digits, `.`, `_`, `-`"],
  [ENV_NAME.source, "environment variable name"],
  [DB_NAME.source, "database name"],
  [FINGERPRINT.source, "`SHA256:…` fingerprint"],
  [DURATION.source, "duration: `500ms`, `90s`, `15m`, `2h`"],
  [BANDWIDTH.source, "rate, e.g. `100MiB/s`"],
  [WINDOW_TIME.source, "ISO 8601 time with offset"],
  [ABSOLUTE_PATH_PATTERN, "absolute path"],
]);

type Node = Record<string, unknown> & {
  type?: string;
  properties?: Record<string, Node>;
  required?: string[];
  items?: Node;
  anyOf?: Node[];
  oneOf?: Node[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  format?: string;
  pattern?: string;
};

/** A Markdown table cell: pipes escaped, one line. */
export function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

const code = (value: unknown) => `\`${typeof value === "string" ? value : JSON.stringify(value)}\``;

/** The largest safe integer is how zod writes "no upper bound". */
const bound = (n: number | undefined) => (n === undefined || n >= Number.MAX_SAFE_INTEGER ? undefined : n);

function typeText(node: Node): string {
  if (node.const !== undefined) return code(node.const);
  if (node.enum) return node.enum.map(code).join(", ");
  if (node.anyOf || node.oneOf) return "one of the forms below";
  if (node.type === "array") {
    const item = node.items ?? {};
    return item.type === "object" || item.anyOf || item.oneOf
      ? "list of objects (below)"
      : `list of ${typeText(item)}`;
  }
  if (node.type === "integer" || node.type === "number") {
    const [min, max] = [bound(node.minimum), bound(node.maximum)];
    if (min !== undefined && max !== undefined) return `${node.type} ${min}–${max}`;
    return min !== undefined ? `${node.type} ≥ ${min}` : node.type;
  }
  if (node.type === "object") return node.properties ? "object (below)" : "map of old → new text";
  if (node.format === "uri") return "URL";
  const named = typeof node.pattern === "string" ? PATTERNS.get(node.pattern) : undefined;
  return named ?? node.type ?? "any";
}

function defaultText(node: Node, required: boolean): string {
  if (required) return "required";
  if (node.default === undefined) return "optional";
  if (Array.isArray(node.default) && node.default.length === 0) return "`[]`";
  if (typeof node.default === "object") return "see below";
  return code(node.default);
}

/** One object's fields as a table: key, type, required or default, meaning. */
export function fieldTable(node: Node): string {
  const required = new Set(node.required ?? []);
  const rows = Object.entries(node.properties ?? {})
    .filter(([key]) => key !== "$schema")
    .map(([key, field]) =>
      [code(key), typeText(field), defaultText(field, required.has(key)), field.description ?? ""].map(cell),
    );
  return [
    "| key | type | default | meaning |",
    "| --- | --- | --- | --- |",
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ].join("\n");
}

function at(root: Node, path: readonly string[]): Node {
  let node = root;
  for (const step of path) {
    // Through a union (a field with a short and a long form): the form that has the step.
    const next = (node.anyOf ?? node.oneOf ?? [node])
      .map((form) => (step === "[]" ? form.items : form.properties?.[step]))
      .find((found) => found !== undefined);
    if (!next) throw new Error(`plan schema has no ${path.join(".")}`);
    node = next;
  }
  return node;
}

/** Sections of docs/plan-format.md, in reading order: heading and the schema node it shows. */
const SECTIONS: ReadonlyArray<{ title: string; path: string[]; variants?: (variant: Node) => string }> = [
  { title: "Top level", path: [] },
  { title: "`metadata`", path: ["metadata"] },
  { title: "`defaults`", path: ["defaults"] },
  { title: "Hosts: `sources[]` and `tenants[].hosts[]`", path: ["sources", "[]"] },
  {
    title: "`auth` (a host's)",
    path: ["sources", "[]", "auth"],
    variants: (v) => `\`{ ${Object.keys(v.properties ?? {}).join(", ")} }\``,
  },
  { title: "`tenants[]`", path: ["tenants", "[]"] },
  { title: "`workloads[]`", path: ["workloads", "[]"] },
  { title: "`workloads[].window`", path: ["workloads", "[]", "window"] },
  { title: "`workloads[].databases[]`", path: ["workloads", "[]", "databases", "[]"] },
  { title: "`workloads[].rewrite[]`", path: ["workloads", "[]", "rewrite", "[]"] },
  {
    title: "`workloads[].cutover`",
    path: ["workloads", "[]", "cutover"],
    variants: (v) => `\`strategy: ${String(v.properties?.strategy?.const)}\``,
  },
  {
    title: "`workloads[].verify[]`",
    path: ["workloads", "[]", "verify", "[]"],
    variants: (v) => `\`${Object.keys(v.properties ?? {})[0]}\``,
  },
];

/** Every section's table(s), as Markdown; a union gets one table per form. */
export function planFormatTables(): string {
  const schema = planJsonSchema() as Node;
  const out: string[] = [];
  for (const section of SECTIONS) {
    const node = at(schema, section.path);
    out.push(`### ${section.title}`, "");
    if (node.description && section.path.length > 0) out.push(node.description, "");
    const forms = node.oneOf ?? node.anyOf;
    if (!forms) {
      out.push(fieldTable(node), "");
      continue;
    }
    for (const form of forms) {
      // A check is an object with one key whose value holds the fields.
      const key = Object.keys(form.properties ?? {})[0] ?? "";
      const inner =
        section.path.at(-1) === "[]" && form.properties?.[key]?.properties ? form.properties[key] : form;
      out.push(`${section.variants?.(form) ?? "form"}:`, "", fieldTable(inner), "");
    }
  }
  return out.join("\n").trimEnd();
}
