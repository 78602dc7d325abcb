/**
 * A real apply on the fleet with `defaults.timezone: America/New_York`: every time a person reads
 * (plain lines, `status`, `logs`, the report) carries that zone's offset, while the NDJSON
 * events and the journal stay in UTC.
 */
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { apply, journal, preparePlan, resetFleet } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");
const root = new URL("../..", import.meta.url).pathname;
const bin = join(root, "bin/migrate");
/** New York is -05:00 in winter and -04:00 in summer; either way never +00:00 or +08:00. */
const OFFSET = /-0[45]:00/;

describe.skipIf(skipReason !== "")("times in the plan's time zone on a real apply", () => {
  let planFile: string;
  let stateDir: string;
  let plain: { exitCode?: number; stderr: string; stdout: string };

  beforeAll(async () => {
    await resetFleet();
    ({ planFile, stateDir } = preparePlan((plan) => {
      plan.defaults = { ...plan.defaults, timezone: "America/New_York" };
    }));
    plain = await apply(planFile, stateDir, ["--only", "portal", "--output", "plain"]);
  });

  afterAll(async () => {
    await resetFleet();
  });

  it("stamps apply's plain lines with the plan's offset", () => {
    expect(plain.exitCode, plain.stderr).toBe(0);
    const lines = plain.stderr.split("\n").filter((line) => /^\d/.test(line));
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d -0[45]:00 run \S+ started: plan fleet-city-bureaus/,
    );
    for (const line of lines.slice(1)) expect(line).toMatch(/^\d\d:\d\d:\d\d -0[45]:00 /);
    // The journal keeps UTC.
    const start = journal(stateDir).find((record) => record.type === "run-start");
    expect(start?.at).toMatch(/Z$/);
  });

  it("shows status, logs and the report in the plan's zone", async () => {
    const args = [planFile, "--state-dir", stateDir];
    const status = await execa(bin, ["status", ...args], { cwd: root });
    expect(status.stdout).toMatch(
      /last run \S+ \(.*\) started \d{4}-\d\d-\d\d \d\d:\d\d -0[45]:00, succeeded/,
    );

    const logs = await execa(bin, ["logs", ...args], { cwd: root });
    const entries = logs.stdout.split("\n").filter((line) => /^\d{4}-/.test(line));
    expect(entries.length).toBeGreaterThan(5);
    for (const entry of entries)
      expect(entry).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} -0[45]:00 {2}/);

    const report = await execa(bin, ["report", ...args], { cwd: root });
    expect(report.stdout).toMatch(/\| Started \| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d -0[45]:00 \|/);
    expect(report.stdout).toMatch(OFFSET);
    expect(report.stdout).not.toMatch(/\d\d:\d\d:\d\dZ/);

    const json = await execa(bin, ["status", ...args, "--json"], { cwd: root });
    expect(JSON.parse(json.stdout).lastRun.startedAt).toMatch(/Z$/);
  });
});
