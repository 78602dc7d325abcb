/**
 * README behaviours of the command line that need no hosts, as an operator meets them: the real
 * `bin/migrate` in a child process over a state directory written like apply writes it.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { factoryPlan, factoryRecords } from "../../support/journal-factory.ts";

const root = join(import.meta.dirname, "../../..");
const bin = join(root, "bin/migrate");
const migrate = (args: string[], cwd = root) =>
  execa(bin, args, { cwd, reject: false, env: { NO_COLOR: "1", CI: "true" } });
/** Each test starts a CLI process or two; on a busy 2-core machine one can take seconds. */
const CHILD_TIMEOUT_MS = 90_000;

/** The factory plan in a fresh directory whose `defaults.stateDir` holds its journal and one run log. */
function planWithStateDir(): { dir: string; planFile: string; runId: string } {
  const dir = mkdtempSync(join(tmpdir(), "cli-readme-"));
  const planFile = join(dir, "plan.yaml");
  const plan = { ...factoryPlan, defaults: { ...factoryPlan.defaults, stateDir: "bureau-state" } };
  writeFileSync(planFile, stringify(plan));
  const state = join(dir, "bureau-state", factoryPlan.metadata.name);
  const records = factoryRecords();
  mkdirSync(state, { recursive: true });
  writeFileSync(join(state, "journal.jsonl"), `${records.map((r) => JSON.stringify(r)).join("\n")}\n`);
  const runId = "20261206T140000Z-bbbbbb";
  mkdirSync(join(state, "runs", runId), { recursive: true });
  const log = [
    { time: "2026-12-06T14:00:00.000Z", level: "info", msg: "run-start", event: "run-start", runId },
    { time: "2026-12-06T14:00:01.000Z", level: "info", msg: "remote command", workload: "land-revenue" },
    {
      time: "2026-12-06T14:00:02.000Z",
      level: "warn",
      msg: "budget nearly spent",
      workload: "finance-portal",
    },
    { time: "2026-12-06T14:00:03.000Z", level: "error", msg: "step-fail", workload: "land-revenue" },
  ];
  writeFileSync(
    join(state, "runs", runId, "log.ndjson"),
    `${log.map((e) => JSON.stringify(e)).join("\n")}\n`,
  );
  return { dir, planFile, runId };
}

describe("the command line as the README describes it", { timeout: CHILD_TIMEOUT_MS }, () => {
  it("--version prints the package's version and exits 0", async () => {
    const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
    const r = await migrate(["--version"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(version);
  });

  it("exits 64 for an unknown command or option, naming it, without a stack trace", async () => {
    const command = await migrate(["frobnicate"]);
    expect(command.exitCode).toBe(64);
    expect(command.stderr).toContain("frobnicate");
    const option = await migrate(["validate", "--frobnicate", "plans/henan-finance.yaml"]);
    expect(option.exitCode).toBe(64);
    expect(option.stderr).toContain("--frobnicate");
    expect(`${command.stderr}${option.stderr}`).not.toMatch(/\n\s+at /);
  });

  it("status finds the journal through defaults.stateDir, relative to the plan, and marks OVER BUDGET", async () => {
    const { dir, planFile } = planWithStateDir();
    // Run from another directory: the state dir is relative to the plan file, not the cwd.
    const r = await migrate(["status", planFile], tmpdir());
    expect(r.exitCode, r.stderr).toBe(0);
    const over = r.stdout.split("\n").filter((line) => line.includes("OVER BUDGET"));
    expect(over).toHaveLength(1);
    // land-revenue's budget is 10s; its journaled downtime is 15 s.
    expect(over[0]).toMatch(
      /^\s+✓ land-revenue\s+succeeded\s+4\/5\s+.*MiB sent.*\s+downtime 15\.0s of 10\.0s \(OVER BUDGET\)$/,
    );
    expect(r.stdout).toMatch(/finance-portal\s+succeeded/);
    // The same state through --state-dir gives the same view.
    const explicit = await migrate(["status", planFile, "--state-dir", join(dir, "bureau-state")], tmpdir());
    expect(explicit.stdout).toBe(r.stdout);
  });

  it("logs filters the run's log by --level and --workload", async () => {
    const { planFile, runId } = planWithStateDir();
    const lines = async (...args: string[]) => {
      const r = await migrate(["logs", planFile, ...args]);
      expect(r.exitCode, r.stderr).toBe(0);
      return r.stdout.split("\n").filter((line) => line !== "");
    };
    expect(await lines()).toHaveLength(4);
    const warn = await lines("--level", "warn");
    expect(warn.map((line) => line.split("  ").at(-1))).toEqual(["budget nearly spent", "step-fail"]);
    const land = await lines(runId.slice(0, 10), "--workload", "land-revenue");
    expect(land.map((line) => line.split("  ").at(-1))).toEqual(["remote command", "step-fail"]);
    expect(await lines("--workload", "land-revenue", "--level", "error")).toHaveLength(1);
  });
});
