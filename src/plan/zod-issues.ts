/**
 * zod issues → findings with messages written for plan authors: the key, the culprit value,
 * what was expected, and for unknown keys and enum values the closest known names.
 */
import type { z } from "zod";
import type { Finding, PlanPath } from "./diagnostics.ts";
import { closestNames, didYouMean } from "./did-you-mean.ts";
import { isSecretKey, SECRET_MESSAGE } from "./rules/secrets.ts";
import { knownKeysAt } from "./schema-keys.ts";

type Issue = z.core.$ZodIssue;

/** The code of the finding for a number past 2^53 - 1, which any field bound supersedes. */
export const SAFE_INTEGER_CODE = "too-large";

const SHELL_META = /[;&|`$(){}<>\\'"*?!#~\s]/;

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const segment of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

/** `dependsOn[0]`, `name`: the last key and any indices after it. */
function label(path: PlanPath): string {
  let i = path.length - 1;
  while (i > 0 && typeof path[i] === "number") i--;
  const tail = path.slice(i);
  return tail.map((s, n) => (typeof s === "number" ? `[${s}]` : n === 0 ? s : `.${s}`)).join("") || "plan";
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return JSON.stringify(value);
  return `${typeof value} ${String(value)}`;
}

function typeName(expected: string): string {
  if (expected === "object") return "a mapping";
  if (expected === "array") return "a list";
  return `a ${expected}`;
}

function shellNote(value: unknown): string {
  if (typeof value !== "string") return "";
  const meta = SHELL_META.exec(value);
  if (!meta) return "";
  const shown = meta[0] === " " ? "a space" : meta[0] === "\n" ? "a newline" : `'${meta[0]}'`;
  return `; it contains ${shown}, a shell metacharacter, and names may reach a remote shell`;
}

function unknownKeys(path: PlanPath, keys: string[], root: unknown): Finding[] {
  const known = knownKeysAt(path, root);
  return keys.map((key) => {
    const keyPath = [...path, key];
    if (isSecretKey(key)) {
      return {
        severity: "error",
        code: "inline-secret",
        message: SECRET_MESSAGE(key),
        path: keyPath,
        atKey: true,
      };
    }
    const where = path.length === 0 ? "at the top level" : `in ${label(path)}`;
    const suggestion = didYouMean(key, known);
    const finding: Finding = {
      severity: "error",
      code: "unknown-key",
      message: `unknown key "${key}" ${where}${suggestion}`,
      path: keyPath,
      atKey: true,
    };
    if (suggestion === "" && known.length > 0) finding.hint = `allowed keys: ${known.join(", ")}`;
    return finding;
  });
}

/**
 * A required key written with a typo is one mistake: its "unknown key … did you mean" error says
 * it all, so the key's absence is not reported beside it.
 */
function misspelt(parentPath: PlanPath, key: string, root: unknown): boolean {
  const parent = valueAt(root, parentPath);
  if (parent === null || typeof parent !== "object" || Array.isArray(parent)) return false;
  const known = knownKeysAt(parentPath, root);
  return Object.keys(parent).some((k) => !known.includes(k) && closestNames(k, known).includes(key));
}

/** Pick the union branch the author most likely meant: the one that got furthest. */
function bestBranch(branches: Issue[][], path: PlanPath, root: unknown): Issue[] | undefined {
  let best: Issue[] | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const issues of branches) {
    const missingRoot = issues.filter(
      (i) =>
        (i.path.length === 1 && valueAt(root, [...path, ...i.path]) === undefined) ||
        (i.code === "unrecognized_keys" && i.path.length === 0),
    ).length;
    const score = missingRoot * 1000 + issues.length;
    if (score < bestScore) {
      best = issues;
      bestScore = score;
    }
  }
  return best;
}

function unionFindings(
  issue: Extract<Issue, { code: "invalid_union" }>,
  path: PlanPath,
  root: unknown,
): Finding[] {
  const value = valueAt(root, path);
  if (issue.errors.length === 0) {
    const options = ((issue as { options?: unknown[] }).options ?? []).map(String);
    return [
      {
        severity: "error",
        code: "invalid-value",
        message: `${label(path)} ${describe(value)} must be one of ${options.join(", ")}${typeof value === "string" ? didYouMean(value, options) : ""}`,
        path,
      },
    ];
  }
  const allMissRoot = issue.errors.every((branch) =>
    branch.some((i) => i.path.length === 1 && valueAt(root, [...path, ...i.path]) === undefined),
  );
  const rootKeys = issue.errors.flatMap((branch) =>
    branch
      .filter((i) => i.path.length === 1 && valueAt(root, [...path, ...i.path]) === undefined)
      .map((i) => String(i.path[0])),
  );
  if (allMissRoot && rootKeys.length === issue.errors.length && value !== null && typeof value === "object") {
    const given = Object.keys(value);
    const unknown = given.filter((k) => !rootKeys.includes(k));
    if (unknown.length > 0) return unknownKeys(path, unknown, root);
    return [
      {
        severity: "error",
        code: "invalid-value",
        message: `${label(path)} needs exactly one of: ${rootKeys.join(", ")}`,
        path,
      },
    ];
  }
  const branch = bestBranch(issue.errors, path, root) ?? [];
  return branch.flatMap((inner) =>
    issueFindings({ ...inner, path: [...path, ...inner.path] } as Issue, root),
  );
}

function invalidValue(path: PlanPath, value: unknown, options: string[]): Finding[] {
  const suggestion = typeof value === "string" ? didYouMean(value, options) : "";
  const expected = options.length === 1 ? `must be ${options[0]}` : `must be one of ${options.join(", ")}`;
  return [
    {
      severity: "error",
      code: "invalid-value",
      message: `${label(path)} ${describe(value)} ${expected}${suggestion}`,
      path,
    },
  ];
}

/** One zod issue as findings; `root` is the raw document, for culprit values and key lists. */
export function issueFindings(issue: Issue, root: unknown): Finding[] {
  const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p)) as PlanPath;
  const value = valueAt(root, path);
  const error = (code: string, message: string, at: PlanPath = path): Finding[] => [
    { severity: "error", code, message, path: at },
  ];
  switch (issue.code) {
    case "unrecognized_keys":
      return unknownKeys(path, issue.keys, root);
    case "invalid_union":
      return unionFindings(issue, path, root);
    case "invalid_type":
    case "invalid_value":
      if (value === undefined) {
        const key = path.at(-1);
        if (misspelt(path.slice(0, -1), String(key), root)) return [];
        return error("missing-key", `missing required key "${String(key)}"`, path.slice(0, -1));
      }
      if (typeof value === "number" && !Number.isFinite(value)) {
        return error("out-of-range", `${label(path)} is a number too large to represent`);
      }
      if (issue.code === "invalid_type") {
        return error(
          "invalid-type",
          `${label(path)} must be ${typeName(issue.expected)}, got ${describe(value)}`,
        );
      }
      return invalidValue(path, value, issue.values.map(String));
    case "invalid_format":
      if (issue.format === "url")
        return error("invalid-format", `${label(path)} ${describe(value)} is not a valid URL`);
      return error("invalid-format", `${label(path)} ${describe(value)} ${issue.message}${shellNote(value)}`);
    case "too_small":
    case "too_big": {
      // z.int() bounds every integer by 2^53 - 1 besides the field's own bound; analyze drops
      // this one when the field's own bound also fails, so one value never gets two maxima.
      if (issue.code === "too_big" && issue.origin === "int")
        return error(SAFE_INTEGER_CODE, `${label(path)} is too large a number (at most ${issue.maximum})`);
      const bound = String(issue.code === "too_small" ? issue.minimum : issue.maximum);
      const word = issue.code === "too_small" ? "at least" : "at most";
      if (issue.origin === "array")
        return error("invalid-size", `${label(path)} must have ${word} ${bound} entries`);
      if (issue.origin === "string") {
        return error(
          "invalid-size",
          bound === "1" && issue.code === "too_small"
            ? `${label(path)} must not be empty`
            : `${label(path)} must be ${word} ${bound} characters long`,
        );
      }
      return error("out-of-range", `${label(path)} must be ${word} ${bound}, got ${describe(value)}`);
    }
    default:
      return error("invalid", `${label(path)} ${describe(value)}: ${issue.message}`);
  }
}
