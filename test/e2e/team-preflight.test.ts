/**
 * Apply's preflight with shared state on a real PostgreSQL. From the operator's desk,
 * `apply --state` refuses an untrusted host key and a login without the privilege it needs with
 * the exit code and message a local apply gives, before anything is enqueued: no run, no work
 * row, no queued job, no journal record, nothing logged in on or changed on the hosts. A runner
 * whose own trust differs from the desk's (its machine's known_hosts lacks the target's key)
 * runs the same preflight before its first change and fails the workload with the refusal
 * journaled and shown to the operator, no step begun.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { hostExec } from "../../fixtures/fleet/index.ts";
import type { PlanInput } from "../../src/plan/schema.ts";
import { derivePlan } from "../support/reliability/derived-plan.ts";
import { runCli } from "./apply-support.ts";
import { loginAs } from "./support/messy-fleet.ts";
import { journalRows, startRunner, stopRunner, teamContext, waitFor } from "./support/team.ts";

const skipReason = inject("e2eSkipReason");

function unpinned(plan: PlanInput): void {
  for (const host of [...(plan.sources ?? []), ...(plan.tenants ?? []).flatMap((t) => t.hosts ?? [])])
    delete host.hostKey;
}

async function logins(host: string): Promise<number> {
  const result = await hostExec(host, "grep -c 'Accepted publickey' /var/log/sshd.log || true");
  return Number(result.stdout.trim() || "0");
}

async function portalUntouched(): Promise<void> {
  expect((await hostExec("tgt-1", "test -e /srv/portal && echo present || echo absent")).stdout.trim()).toBe(
    "absent",
  );
  expect((await hostExec("portal-src", "systemctl is-active nginx")).stdout.trim()).toBe("active");
}

/** The refusal's own lines (the host lines of a preflight, or the privilege sentence). */
function refusalLines(stderr: string, pattern: RegExp): string[] {
  return stderr.split("\n").filter((line) => pattern.test(line));
}

describe.skipIf(skipReason !== "")("apply's preflight with shared state", () => {
  const team = teamContext();
  const { runners } = team;

  async function nothingEnqueued(plan: string): Promise<void> {
    const { rows } = await team.db.pool.query<{ runs: string; work: string; journal: string; jobs: string }>(
      `SELECT (SELECT count(*) FROM runs WHERE plan = $1) AS runs,
              (SELECT count(*) FROM work WHERE plan = $1) AS work,
              (SELECT count(*) FROM journal WHERE plan = $1) AS journal,
              (SELECT count(*) FROM migrate_queue.job WHERE data->>'plan' = $1) AS jobs`,
      [plan],
    );
    expect(rows[0]).toEqual({ runs: "0", work: "0", journal: "0", jobs: "0" });
  }

  it("refuses an untrusted host key from the desk as a local apply does, nothing enqueued", async () => {
    // A runner is up: had anything been queued, it would have taken it.
    const runner = startRunner(team.db, "room-a", ["--hosts", "portal-src"]);
    runners.push(runner);
    await waitFor(async () => runner.output().includes("serving"), "the runner to serve its queues");
    const derived = derivePlan({ workloads: ["portal"], name: "team-trust", edit: unpinned });
    const knownHosts = join(derived.dir, "known_hosts");
    writeFileSync(knownHosts, "");
    const env = { ...team.db.env, MIGRATE_KNOWN_HOSTS: knownHosts };
    const before = await logins("tgt-1");

    const shared = await runCli(["apply", derived.planFile, "--yes", "--state", team.db.url], env);
    expect(shared.exitCode, shared.stderr).toBe(4);
    expect(shared.stderr).toContain("nothing was changed");
    expect(shared.stderr).toContain("unknown host key for tgt-1");
    await nothingEnqueued(derived.planName);
    expect(readFileSync(knownHosts, "utf8")).toBe("");
    expect(await logins("tgt-1")).toBe(before);
    await portalUntouched();

    const local = await runCli(["apply", derived.planFile, "--yes", "--state-dir", derived.stateDir], env);
    expect(local.exitCode, local.stderr).toBe(4);
    const hostLine = /^\s+\S+\s+unknown host key for /;
    expect(refusalLines(shared.stderr, hostLine)).toEqual(refusalLines(local.stderr, hostLine));
    expect(refusalLines(shared.stderr, hostLine).length).toBeGreaterThan(0);
  });

  it("refuses become: sudo without passwordless sudo from the desk as a local apply does", async () => {
    const derived = derivePlan({
      workloads: ["portal"],
      name: "team-privilege",
      edit: (plan) => loginAs(plan, "tgt-1", "plain", true),
    });
    const shared = await runCli(["apply", derived.planFile, "--yes", "--state", team.db.url], team.db.env);
    expect(shared.exitCode, shared.stderr).toBe(4);
    const refusal = /nothing was changed: become: sudo on tgt-1 failed: sudo: .*password/;
    expect(shared.stderr).toMatch(refusal);
    await nothingEnqueued(derived.planName);
    await portalUntouched();

    const local = await runCli(["apply", derived.planFile, "--yes", "--state-dir", derived.stateDir]);
    expect(local.exitCode, local.stderr).toBe(4);
    // The error itself (a local apply also logs its first line as the run's end).
    const error = /^migrate: error: /;
    expect(refusalLines(shared.stderr, error)).toEqual(refusalLines(local.stderr, error));
    expect(refusalLines(shared.stderr, error)[0]).toMatch(refusal);
  });

  it("a runner that does not trust the target fails the workload before any step, the refusal journaled", async () => {
    // Only this runner may take the workload.
    await Promise.all(runners.splice(0).map(stopRunner));
    const derived = derivePlan({ workloads: ["portal"], name: "team-runner-trust", edit: unpinned });
    const target = team.fleet.hosts.find((host) => host.name === "tgt-1")!.address;
    // The runner's machine knows every host but tgt-1; the desk knows them all.
    const runnerKnown = join(derived.dir, "runner_known_hosts");
    const lines = readFileSync(team.fleet.client.knownHosts, "utf8").split("\n");
    writeFileSync(runnerKnown, lines.filter((line) => !line.startsWith(`${target} `)).join("\n"));
    runners.push(
      startRunner(team.db, "room-b", ["--hosts", "portal-src", "--lease-seconds", "5"], {
        env: { MIGRATE_KNOWN_HOSTS: runnerKnown },
      }),
    );
    const applied = await runCli(["apply", derived.planFile, "--yes", "--state", team.db.url], {
      ...team.db.env,
      MIGRATE_KNOWN_HOSTS: team.fleet.client.knownHosts,
    });
    expect(applied.exitCode, applied.stderr).toBe(3);
    expect(applied.stderr).toMatch(/refused by runner room-b before any change: preflight: problems on 1 of/);
    expect(applied.stderr).toContain("unknown host key for tgt-1");

    const records = (await journalRows(team.db, derived.planName)).map((row) => row.record);
    expect(records.filter((r) => r.type === "step-start")).toEqual([]);
    const end = records.find((r) => r.type === "workload-end");
    expect(end).toMatchObject({ workload: "portal", status: "failed" });
    expect(end?.type === "workload-end" && end.reason).toContain("unknown host key for tgt-1");
    expect(records.at(-1)).toMatchObject({ type: "run-end", status: "failed" });
    await portalUntouched();
  });
});
