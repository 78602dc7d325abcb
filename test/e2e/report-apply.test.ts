/**
 * The sign-off report of a real run: `migrate apply` moves the fleet's three bureau systems,
 * then `migrate report` (HTML, loaded in headless Chromium, and Markdown) and `migrate logs`
 * are read back from the state directory that run wrote.
 */
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { chromiumDom } from "../support/chromium.ts";
import { apply, preparePlan, resetFleet } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");
const bin = join(new URL("../..", import.meta.url).pathname, "bin/migrate");

describe.skipIf(skipReason !== "")("sign-off report after a real apply", () => {
  let planFile: string;
  let stateDir: string;

  beforeAll(async () => {
    await resetFleet();
    ({ planFile, stateDir } = preparePlan());
    const result = await apply(planFile, stateDir);
    expect(result.exitCode, String(result.stderr).slice(-2000)).toBe(0);
  });

  afterAll(async () => {
    await resetFleet();
  });

  it("HTML in Chromium: 100 % per bureau, one timeline bar per step, digests matched, checks passed", async () => {
    const out = join(stateDir, "signoff.html");
    const { stderr } = await execa(bin, [
      "report",
      planFile,
      "--state-dir",
      stateDir,
      "--format",
      "html",
      "--out",
      out,
    ]);
    expect(stderr).toContain("(1 run(s), 3/3 systems migrated)");
    const dom = await chromiumDom(out);
    for (const bureau of ["city-office", "finance", "market-regulation"]) {
      expect(dom).toContain(`data-bureau="${bureau}" data-percent="100"`);
    }
    expect(dom.match(/<svg [^>]*class="timeline"/g)).toHaveLength(1);
    for (const step of ["snapshot", "transfer", "reconfigure", "cutover", "verify"]) {
      expect(dom.match(new RegExp(`<rect [^>]*class="bar" data-step="${step}"`, "g"))).toHaveLength(3);
    }
    expect(dom.match(/\(target matches\)/g)).toHaveLength(3);
    expect(dom.match(/passed \(\d+\/\d+ checks\)/g)).toHaveLength(3);
    expect(dom).toMatch(/Run by<\/td><td>[^<]+@[^<]+ \(pid \d+, migrate \d+\.\d+\.\d+\)/);
  });

  it("Markdown: systems, bytes moved and downtime within budget for each workload", async () => {
    const { stdout } = await execa(bin, ["report", planFile, "--state-dir", stateDir]);
    expect(stdout).toContain("| **Total** | 3 | 3 | 100 % |");
    for (const [workload, bureau, route] of [
      ["portal", "city-office", "portal-src → tgt-1"],
      ["tax-collection", "finance", "tax-src → tgt-2"],
      ["licensing", "market-regulation", "lic-src → tgt-3"],
    ]) {
      expect(stdout).toMatch(
        new RegExp(
          `\\| ${workload} \\| ${bureau} \\| \\d \\| ${route} \\| succeeded \\| [\\d.]+ (B|KiB|MiB) \\| \\d+ \\| .+ \\(within budget\\) \\|`,
        ),
      );
    }
  });

  it("migrate logs shows the audited remote commands of the run", async () => {
    const { stdout } = await execa(bin, ["logs", planFile, "--state-dir", stateDir], {
      env: { NO_COLOR: "1" },
    });
    expect(stdout).toMatch(/INFO {3}tgt-2 {2}remote command {2}exit 0 {2}\S+ m?s {2}in \S+ \S+ out \S+ \S+/);
    // Times in the fleet plan's zone (Asia/Shanghai), with the offset.
    expect(stdout).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \+08:00 {2}INFO {3}portal {2}cutover-freeze$/m,
    );
    expect(stdout).toMatch(/^\S+ \S+ \+08:00 {2}INFO {3}run-end {2}/m);
    expect(stdout).not.toMatch(/PRIVATE KEY/);
  });
});
