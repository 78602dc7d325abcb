/**
 * Plan text → plan + every diagnostic, in one pass: YAML syntax (located by the yaml library),
 * schema (zod issues mapped back to YAML nodes), then the semantic rules. Pure and synchronous.
 */
import { LineCounter, parseDocument } from "yaml";
import { compareDiagnostics, type Diagnostic, type Finding, type PlanPath } from "./diagnostics.ts";
import type { InventoryFacts } from "./inventory-facts.ts";
import { partialPlan } from "./partial-plan.ts";
import { buildContext } from "./rules/context.ts";
import { RULES } from "./rules/index.ts";
import { inlineKeyMaterial } from "./rules/secrets.ts";
import { Plan } from "./schema.ts";
import { knownKeysAt } from "./schema-keys.ts";
import { parserDiagnostic, yamlSyntaxDiagnostic } from "./yaml-errors.ts";
import { locateFinding } from "./yaml-locate.ts";
import { issueFindings, SAFE_INTEGER_CODE } from "./zod-issues.ts";

export interface Analysis {
  plan: Plan | undefined;
  diagnostics: Diagnostic[];
}

/**
 * YAML merge keys (`<<: *common`) are allowed so plans can share workload settings; anchors and
 * aliases work as usual.
 */
export function analyzePlanText(
  file: string,
  text: string,
  options: { inventory?: InventoryFacts; now?: number } = {},
): Analysis {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const yamlWarnings = document.warnings.map((w) => parserDiagnostic(file, lineCounter, "warning", w));
  if (document.errors.length > 0) {
    // One mistake, one error: after the first, the parser's errors are follow-ons.
    const error = yamlSyntaxDiagnostic(file, text, lineCounter, document.errors);
    return { plan: undefined, diagnostics: [error, ...yamlWarnings].sort(compareDiagnostics) };
  }
  let raw: unknown;
  try {
    raw = document.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    const finding: Finding = {
      severity: "error",
      code: "yaml",
      message: `YAML: ${(error as Error).message}`,
      path: [],
    };
    return { plan: undefined, diagnostics: [toDiagnostic(finding)] };
  }
  if (raw === null || raw === undefined) {
    const finding: Finding = {
      severity: "error",
      code: "empty",
      message: "the plan is empty; start with apiVersion: migrate/v1 and kind: MigrationPlan",
      path: [],
    };
    return { plan: undefined, diagnostics: [toDiagnostic(finding)] };
  }

  const findings: Finding[] = inlineKeyMaterial(raw);
  const parsed = Plan.safeParse(raw);
  let plan: Plan | undefined;
  let partial = undefined as ReturnType<typeof partialPlan>;
  if (parsed.success) {
    plan = parsed.data;
    partial = {
      plan,
      index: identity(plan),
      skipped: { hosts: new Set(), tenants: new Set(), workloads: new Set(), repaired: new Set() },
    };
  } else {
    const found = parsed.error.issues.flatMap((issue) => issueFindings(issue, raw));
    const key = (f: Finding) => JSON.stringify(f.path);
    findings.push(
      ...dedentedBlocks(
        found.filter((f) => f.code !== SAFE_INTEGER_CODE || !found.some((o) => o !== f && key(o) === key(f))),
        raw,
      ),
    );
    partial = partialPlan(raw, parsed.error.issues);
  }
  if (partial) {
    const context = buildContext(
      partial.plan,
      partial.index,
      partial.skipped,
      options.inventory,
      options.now,
    );
    for (const rule of RULES) findings.push(...rule(context));
  }
  const diagnostics = dedupe(findings.map(toDiagnostic)).sort(compareDiagnostics);
  const valid = !diagnostics.some((d) => d.severity === "error");
  return {
    plan: valid ? plan : undefined,
    diagnostics: [...diagnostics, ...yamlWarnings].sort(compareDiagnostics),
  };

  function toDiagnostic(finding: Finding): Diagnostic {
    return locateFinding(file, document, lineCounter, finding);
  }
}

/**
 * A block dedented to its parent's level is valid YAML: the parent key is left empty (null) and
 * the block's keys land beside it as unknown keys. One mistake, so one error at the first key,
 * saying where it belongs, instead of "must be a mapping, got null" plus an error per key.
 */
function dedentedBlocks(findings: Finding[], raw: unknown): Finding[] {
  const same = (a: PlanPath, b: PlanPath) => JSON.stringify(a) === JSON.stringify(b);
  const out = [...findings];
  for (const empty of findings) {
    const parent = empty.path.at(-1);
    if (empty.code !== "invalid-type" || !empty.message.endsWith(", got null") || typeof parent !== "string")
      continue;
    const belongs = new Set(knownKeysAt(empty.path, raw));
    const strays = out.filter(
      (f) =>
        f.code === "unknown-key" &&
        same(f.path.slice(0, -1), empty.path.slice(0, -1)) &&
        belongs.has(String(f.path.at(-1))),
    );
    if (strays.length === 0) continue;
    const names = strays.map((f) => `"${String(f.path.at(-1))}"`);
    const replaced: Finding = {
      severity: "error",
      code: "dedented-block",
      message: `${names.join(", ")} belong${strays.length === 1 ? "s" : ""} under "${parent}", but ${strays.length === 1 ? "is" : "are"} indented at its level, so "${parent}" is empty`,
      hint: `indent ${strays.length === 1 ? "it" : "them"} under "${parent}:" (further than "${parent}" itself)`,
      path: strays[0]!.path,
      atKey: true,
    };
    out.splice(out.indexOf(empty), 1, replaced);
    for (const stray of strays) out.splice(out.indexOf(stray), 1);
  }
  return out;
}

function identity(plan: Plan) {
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  return {
    sources: range(plan.sources.length),
    tenants: range(plan.tenants.length),
    workloads: range(plan.workloads.length),
  };
}

function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.line}:${d.column}:${d.severity}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
