/**
 * The corpus of bad plans: each file states, in `# exactly: LINE:COL: error: message (hint: …)`
 * header lines, every error it must produce, in order, and no other: one mistake, one error,
 * worded and placed as stated. `<plan>` stands for the file's own path in a message. Loading must
 * never throw.
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

function exactLinesOf(text: string): string[] {
  return [...text.matchAll(/^# exactly: (.+)$/gm)].map((m) => m[1]!);
}

describe("invalid plan corpus", () => {
  it("has at least 60 plans", () => {
    expect(files.length).toBeGreaterThanOrEqual(60);
  });

  it.each(files)("%s is rejected with exactly the stated errors", async (name) => {
    const file = join(dir, name);
    const exactly = exactLinesOf(readFileSync(file, "utf8"));
    expect(exactly.length, "the file states its errors in # exactly: lines").toBeGreaterThan(0);
    const result = await loadPlan(file);
    expect(result.plan).toBeUndefined();
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    const shown = errors.map((d) =>
      formatDiagnostic({ ...d, file: "" })
        .slice(1)
        .replaceAll(file, "<plan>"),
    );
    expect(shown).toEqual(exactly);
  });
});
