/**
 * The corpus of bad plans: each file states, in `# expect: LINE:COL fragment` header lines, the
 * errors it must produce. Every expectation must match an error at exactly that place whose
 * message contains the fragment, and loading must never throw. A file with
 * `# exactly: LINE:COL: error: message (hint: …)` lines must produce exactly those errors, in
 * order, and no other: one mistake, one error, worded as stated.
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
    }
  });
});
