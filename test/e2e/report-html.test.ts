/**
 * `migrate report --format html` end to end: the CLI reads a plan and its journal from a state
 * directory and writes a self-contained HTML file, which headless Chromium (Debian package)
 * loads with networking off; the assertions read the DOM Chromium built, not our string.
 * The journal is factory test data (test/support/journal-factory.ts); report-apply.test.ts
 * builds one from a real apply on the fleet.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { chromiumDom } from "../support/chromium.ts";
import { factoryPlan, factoryRecords } from "../support/journal-factory.ts";

const exec = promisify(execFile);
const root = new URL("../..", import.meta.url).pathname;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "migrate-report-"));
  writeFileSync(join(dir, "plan.yaml"), stringify(factoryPlan));
  const state = join(dir, ".migrate", factoryPlan.metadata.name);
  mkdirSync(state, { recursive: true });
  writeFileSync(
    join(state, "journal.jsonl"),
    `${factoryRecords()
      .map((r) => JSON.stringify(r))
      .join("\n")}\n`,
  );
});

async function report(...args: string[]) {
  return exec(join(root, "bin/migrate"), ["report", join(dir, "plan.yaml"), ...args], { cwd: dir });
}

describe("migrate report --format html in Chromium", () => {
  it("renders the timeline, the systems table, per-bureau percentages and the signature block", async () => {
    const out = join(dir, "signoff.html");
    const { stderr } = await report("--format", "html", "--out", out);
    expect(stderr).toContain(`report written to ${out} (2 run(s), 2/4 systems migrated)`);
    const dom = await chromiumDom(out);
    // Chromium parsed the inline SVG as SVG: two timelines, each with step bars.
    expect(dom.match(/<svg [^>]*class="timeline"/g)).toHaveLength(2);
    expect(dom.match(/<rect [^>]*class="bar( failed)?"/g)?.length).toBeGreaterThanOrEqual(14);
    expect(dom).toMatch(/<table class="systems">[\s\S]*finance-portal[\s\S]*<\/table>/);
    expect(dom).toContain('data-bureau="finance" data-percent="100"');
    expect(dom).toContain('data-bureau="science-and-technology" data-percent="0"');
    expect(dom).toContain('data-total="true" data-percent="50"');
    expect(dom).toContain('Accepted by (housing &lt;fund&gt; &amp; "centre")');
    expect(dom).toContain("15.0 s of 10.0 s (OVER BUDGET)");
  });

  it("narrows to one bureau and writes Markdown to stdout", async () => {
    const { stdout } = await report("--bureau", "finance");
    expect(stdout).toContain("# Migration sign-off report: jiaxing-2026 (bureau finance)");
    expect(stdout).toContain("| finance | 2 | 2 | 100 % |");
    expect(stdout).not.toContain("housing-fund");
  });

  it("refuses an unknown bureau with a suggestion", async () => {
    const failure = await report("--bureau", "finanse").catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure).toMatchObject({ code: 64 });
    expect((failure as { stderr: string }).stderr).toContain("did you mean finance?");
  });
});
