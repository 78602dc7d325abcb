/**
 * The operator's commands against shared state on a real PostgreSQL: `state push` moves a file
 * journal into the database (twice is the same as once), after which `status` and `plan` read
 * it; a runner stopped with SIGTERM hands its workload back at a checkpoint; Ctrl-C on
 * `apply --state` detaches and leaves the run going; `migrate cancel` ends it interrupted.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { type Fleet, readFleet, resetSystems } from "../../fixtures/fleet/index.ts";
import { journalOf, newStateDir, runCli, startCli, throttledPlan } from "./apply-support.ts";
import {
  freshStateDb,
  journalRows,
  type RunnerProcess,
  startRunner,
  stopRunner,
  type TeamDb,
  waitFor,
} from "./support/team.ts";

const skipReason = inject("e2eSkipReason");
const PLAN = "fleet-city-bureaus";

describe.skipIf(skipReason !== "")("operating on shared state", () => {
  let fleet: Fleet;
  let db: TeamDb;
  let runners: RunnerProcess[] = [];
  beforeAll(() => {
    fleet = readFleet();
  });
  afterEach(async () => {
    await Promise.all(runners.map(stopRunner));
    runners = [];
    await db?.close();
  });
  afterAll(async () => {
    await resetSystems();
  });

  it("pushes a file journal into the database idempotently; status and plan then read it", async () => {
    await resetSystems();
    db = freshStateDb();
    const stateDir = newStateDir();
    const local = await runCli([
      "apply",
      fleet.planFile,
      "--yes",
      "--only",
      "portal",
      "--state-dir",
      stateDir,
    ]);
    expect(local.exitCode, local.stderr).toBe(0);
    const records = journalOf(stateDir, PLAN);

    const push = ["state", "push", fleet.planFile, "--state-dir", stateDir, "--state", db.url];
    const first = await runCli(push, db.env);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stderr).toContain(`Pushed ${records.length} records`);
    const again = await runCli(push, db.env);
    expect(again.stderr).toContain(`Pushed 0 records of ${PLAN}`);
    expect(again.stderr).toContain(`(${records.length} were there already)`);
    expect((await journalRows(db, PLAN)).map((row) => row.record)).toEqual(records);
    // The workload's artefacts went with the journal, byte for byte, for a runner elsewhere.
    const snapshot = join(stateDir, PLAN, "workloads", "portal", "manifest-snapshot.jsonl.gz");
    const stored = await db.pool.query<{ digest: string; runner: string }>(
      "SELECT digest, runner FROM artifacts WHERE plan = $1 AND workload = 'portal' AND name = 'manifest-snapshot.jsonl.gz'",
      [PLAN],
    );
    expect(stored.rows).toEqual([
      { digest: createHash("sha256").update(readFileSync(snapshot)).digest("hex"), runner: "state push" },
    ]);

    const status = await runCli(["status", fleet.planFile, "--state", db.url, "--json"], db.env);
    expect(JSON.parse(status.stdout)).toMatchObject({ counts: { succeeded: 1, pending: 2 } });
    const plan = await runCli(["plan", fleet.planFile, "--state", db.url, "--json"], db.env);
    const view = JSON.parse(plan.stdout) as { waves: { workloads: { name: string; status: string }[] }[] };
    const portal = view.waves.flatMap((w) => w.workloads).find((w) => w.name === "portal");
    expect(portal?.status).toBe("done");
  });

  it("hands a workload back on SIGTERM, detaches apply on Ctrl-C, and cancels the run", async () => {
    await resetSystems();
    db = freshStateDb();
    const planFile = throttledPlan(fleet.planFile, "2MiB/s");
    const runner = startRunner(db, "desk-a", ["--hosts", "portal-src", "--lease-seconds", "5"]);
    runners.push(runner);
    const apply = startCli(
      ["apply", planFile, "--yes", "--only", "portal", "--state", db.url, "--output", "plain"],
      db.env,
    );
    await waitFor(
      async () => (await journalRows(db, PLAN)).some((row) => row.record.type === "step-checkpoint"),
      "a checkpoint by desk-a",
    );
    runner.process.kill("SIGTERM");
    const stopped = await runner.process;
    expect(stopped.exitCode, runner.output()).toBe(0);
    expect(runner.output()).toContain("handed portal back");
    const { rows: work } = await db.pool.query("SELECT state, runner FROM work WHERE workload = 'portal'");
    expect(work).toEqual([{ state: "queued", runner: null }]);

    apply.kill("SIGINT");
    const detached = await apply;
    expect(detached.exitCode).toBe(130);
    expect(String(detached.stderr)).toContain("goes on with the runners");
    const { rows: running } = await db.pool.query("SELECT state FROM runs");
    expect(running).toEqual([{ state: "running" }]);

    const cancel = await runCli(["cancel", planFile, "--state", db.url], db.env);
    expect(cancel.exitCode, cancel.stderr).toBe(0);
    expect(cancel.stderr).toContain("Cancelled run");
    const rows = await journalRows(db, PLAN);
    expect(rows.at(-1)?.record).toMatchObject({ type: "run-end", status: "interrupted" });
    const status = await runCli(["status", planFile, "--state", db.url, "--json"], db.env);
    expect(JSON.parse(status.stdout).running).toBeUndefined();
  });
});
