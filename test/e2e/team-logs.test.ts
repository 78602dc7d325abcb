/**
 * A runner's run log reaches the shared state: the lines a local apply writes to log.ndjson
 * (events, step lines, remote commands) are stored by run and workload, and `migrate logs
 * --state` from another process reads them with the local command's filters.
 */
import { describe, expect, inject, it } from "vitest";
import type { Fleet } from "../../fixtures/fleet/index.ts";
import { runCli } from "./apply-support.ts";
import { type RunnerProcess, startRunner, type TeamDb, withTeamState } from "./support/team.ts";

const skipReason = inject("e2eSkipReason");
const PLAN = "fleet-city-bureaus";

type Entry = { level: string; runId: string; plan: string; event?: string; workload?: string; host?: string };

function entries(stdout: string): Entry[] {
  return stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Entry);
}

describe.skipIf(skipReason !== "")("run logs in the shared state", () => {
  let fleet: Fleet;
  let db: TeamDb;
  let runner: RunnerProcess | undefined;
  withTeamState(
    (f, d) => {
      fleet = f;
      db = d;
    },
    () => [runner],
  );

  it("stores a runner's log lines by run and workload; logs --state reads them with level and workload filters", async () => {
    const before = await runCli(["logs", fleet.planFile, "--state", db.url], db.env);
    expect(before.exitCode).toBe(64);
    expect(before.stderr).toContain(`no run logs for plan ${PLAN}`);

    runner = startRunner(db, "room-a", ["--hosts", "portal-src", "--lease-seconds", "5"]);
    const apply = await runCli(
      ["apply", fleet.planFile, "--yes", "--only", "portal", "--state", db.url, "--output", "json"],
      db.env,
    );
    expect(apply.exitCode, apply.stderr).toBe(0);
    const runId = (JSON.parse(apply.stdout.split("\n")[0] as string) as { runId: string }).runId;

    const { rows } = await db.pool.query<{ workload: string; runner: string; run_id: string }>(
      "SELECT DISTINCT workload, runner, run_id FROM log_lines WHERE plan = $1",
      [PLAN],
    );
    expect(rows).toEqual([{ workload: "portal", runner: "room-a", run_id: runId }]);

    const all = await runCli(["logs", fleet.planFile, "--state", db.url, "--output", "json"], db.env);
    expect(all.exitCode, all.stderr).toBe(0);
    const lines = entries(all.stdout);
    expect(lines.every((line) => line.runId === runId && line.plan === PLAN)).toBe(true);
    const events = new Set(lines.map((line) => line.event));
    for (const event of ["step-start", "step-end", "workload-end", "remote-command", "log"])
      expect(events).toContain(event);
    expect(lines.some((line) => line.event === "remote-command" && line.host === "portal-src")).toBe(true);

    const plain = await runCli(["logs", fleet.planFile, runId.slice(0, 8), "--state", db.url], db.env);
    expect(plain.exitCode, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/INFO +portal snapshot +step-start/);
    expect(plain.stdout).toContain("remote command  exit 0");

    const workload = await runCli(
      ["logs", fleet.planFile, "--state", db.url, "--workload", "portal", "--output", "json"],
      db.env,
    );
    expect(entries(workload.stdout)).toHaveLength(lines.length);
    const other = await runCli(
      ["logs", fleet.planFile, "--state", db.url, "--workload", "licensing", "--output", "json"],
      db.env,
    );
    expect(other.exitCode, other.stderr).toBe(0);
    expect(other.stdout.trim()).toBe("");

    const warn = await runCli(
      ["logs", fleet.planFile, "--state", db.url, "--level", "warn", "--output", "json"],
      db.env,
    );
    const severe = entries(warn.stdout);
    expect(severe.length).toBeLessThan(lines.length);
    expect(severe.every((line) => line.level === "warn" || line.level === "error")).toBe(true);
  }, 90_000);
});
