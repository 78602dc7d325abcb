/**
 * The real thing in a real terminal: `bin/migrate apply` on the fleet plan under tmux shows the
 * live view (waves, bureaus, a throttled transfer's bar), `q` stops it gracefully with the resume
 * hint and exit 130, a resumed apply finishes (NDJSON v1 on stdout), and the run's log, the
 * sign-off report (checked in headless Chromium) and `migrate logs` describe both runs.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { readFleet, seedBulkData } from "../../fixtures/fleet/index.ts";
import { chromiumDom } from "../support/chromium.ts";
import { openTerminal, type Terminal } from "../support/tmux.ts";
import { apply, journal, preparePlan, resetFleet } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");
const root = new URL("../..", import.meta.url).pathname;
const bin = join(root, "bin/migrate");
const PLAN_NAME = "fleet-city-bureaus";

// One story in four steps (stop with q, resume, read the run's log, sign off): never shuffled.
describe.skipIf(skipReason !== "")("live view of a real apply in a terminal", { shuffle: false }, () => {
  let planFile: string;
  let stateDir: string;
  let term: Terminal | undefined;

  beforeAll(async () => {
    await resetFleet();
    // Enough data, sent slowly enough, that the transfer is on screen for several seconds.
    await seedBulkData("portal-src", "/srv/portal/bulk", { bytes: 24 * 1024 * 1024, smallFiles: 20 });
    ({ planFile, stateDir } = preparePlan((plan) => {
      plan.defaults = { ...plan.defaults, bandwidth: "3MiB/s" };
    }));
  });

  afterAll(async () => {
    term?.kill();
    await resetFleet();
  });

  it("shows waves, bureaus and a transfer bar; q stops gracefully with the resume hint", async () => {
    term = openTerminal(`${bin} apply ${planFile} --yes --state-dir ${stateDir}`, { cwd: root });
    try {
      const screen = await term.waitFor(/portal\s+transfer\s+\[#*\.+\] \d+% .*\/s ETA \d+:\d\d/, 180_000);
      expect(screen).toMatch(/migrate apply fleet-city-bureaus · run \S+ · elapsed \d+:\d\d/);
      expect(screen).toMatch(/Wave 1 · running/);
      expect(screen).toMatch(/Wave 2 · pending · 1 workload\(s\) · market-regulation/);
      expect(screen).toMatch(/^ {2}city-office$/m);
      expect(screen).toMatch(/Totals: \d\/3 succeeded/);
      expect(screen).toContain("q or Ctrl-C: stop gracefully");

      term.send("q");
      // A quick stop can end before a screen poll sees the transient "stopping…" frame; the
      // final frame then carries the resume command, so either one must show it.
      const resume = `resume with: migrate apply ${planFile} --yes --state-dir ${stateDir}\n`;
      const stopping = await term.waitFor(/stopping… in-flight steps are being journaled|EXIT=\d+/, 10_000);
      expect(stopping.toLowerCase()).toContain(resume.toLowerCase());
      const end = await term.waitFor(/EXIT=\d+/, 120_000);
      expect(end).toContain("EXIT=130");
      expect(end).toMatch(/■ portal\s+interrupted/);
    } finally {
      // A failed wait must not leave apply running (and holding the state lock) for the next test.
      term.kill();
    }
    const records = journal(stateDir);
    expect(records.some((r) => r.type === "step-interrupted" && r.workload === "portal")).toBe(true);
    expect(records.findLast((r) => r.type === "run-end")).toMatchObject({ status: "interrupted" });
  });

  it("resumes to the end with NDJSON v1 events on stdout", async () => {
    const result = await apply(planFile, stateDir);
    expect(result.exitCode, String(result.stderr).slice(-2000)).toBe(0);
    const lines = String(result.stdout)
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { v: number; type: string });
    expect(lines.every((line) => line.v === 1)).toBe(true);
    expect(lines[0]?.type).toBe("run-start");
    expect(lines.filter((line) => line.type === "workload-end")).toHaveLength(3);
    expect(lines.at(-1)).toMatchObject({ type: "summary", status: "succeeded" });
  });

  it("logged every remote command of the run, without key material", async () => {
    const runs = readdirSync(join(stateDir, PLAN_NAME, "runs")).sort();
    expect(runs).toHaveLength(2);
    const text = readFileSync(join(stateDir, PLAN_NAME, "runs", runs[1] as string, "log.ndjson"), "utf8");
    expect(text).not.toMatch(/PRIVATE KEY/);
    const entries = text
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const audits = entries.filter((e) => e.event === "remote-command");
    expect(audits.length).toBeGreaterThan(10);
    for (const audit of audits) {
      expect(audit).toMatchObject({ level: "info", msg: "remote command", runId: runs[1] });
      expect(typeof audit.host).toBe("string");
      expect(typeof audit.command).toBe("string");
      expect(typeof audit.durationMs).toBe("number");
      expect(typeof audit.bytesIn).toBe("number");
      expect(typeof audit.bytesOut).toBe("number");
    }
    expect(audits.map((a) => a.host)).toEqual(expect.arrayContaining(["portal-src", "tgt-1", "gw"]));
    // Every command ran on a host of the plan (none logged under an empty or made-up name).
    const planned = readFleet().hosts.map((h) => h.name);
    expect([...new Set(audits.map((a) => a.host))].filter((host) => !planned.includes(String(host)))).toEqual(
      [],
    );

    const pretty = await execa(bin, ["logs", planFile, "--state-dir", stateDir], { env: { NO_COLOR: "1" } });
    expect(pretty.stdout).toMatch(/INFO {3}tgt-1 {2}remote command {2}exit 0 {2}\S+ m?s/);
    expect(pretty.stdout).toMatch(/^ {4}\$ /m);
    expect(pretty.stdout).toMatch(/INFO {3}run-start/);
  });

  it("reports both runs and 100 % per bureau, and Chromium renders it", async () => {
    const out = join(stateDir, "signoff.html");
    await execa(bin, ["report", planFile, "--state-dir", stateDir, "--format", "html", "--out", out]);
    const dom = await chromiumDom(out);
    expect(dom.match(/<svg [^>]*class="timeline"/g)).toHaveLength(2);
    for (const bureau of ["city-office", "finance", "market-regulation"]) {
      expect(dom).toContain(`data-bureau="${bureau}" data-percent="100"`);
    }
    expect(dom).toContain('data-total="true" data-percent="100"');
    expect(dom).toMatch(/<section class="run" data-run="[^"]+">\s*<h2>Run \S+ <small>\(apply, interrupted\)/);
    expect(dom).toMatch(/passed \(\d+\/\d+ checks\)/);
    expect(dom).toMatch(/\(target matches\)/);

    const md = await execa(bin, ["report", planFile, "--state-dir", stateDir, "--bureau", "finance"]);
    expect(md.stdout).toContain("| finance | 1 | 1 | 100 % |");
    expect(md.stdout).toMatch(/\| tax-collection \| finance \| 1 \| tax-src → tgt-2 \| succeeded \|/);
  });
});
