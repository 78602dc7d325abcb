/**
 * `migrate rollback --state` from another desk on a real PostgreSQL: refused, naming the runner,
 * while a runner holds the workload's lease; afterwards it takes the lease itself, runs the
 * engine rollback with its records fenced by that lease, and ends the lease; a second rollback
 * is refused before anything is written. In a real terminal the lease is taken only once the
 * operator has said yes: a no writes nothing, and a run that started while the question was
 * open is still refused cleanly after the yes.
 */
import { describe, expect, inject, it } from "vitest";
import type { Fleet } from "../../fixtures/fleet/index.ts";
import { openTerminal, type Terminal } from "../support/tmux.ts";
import { BIN, runCli, startCli } from "./apply-support.ts";
import {
  journalRows,
  type RunnerProcess,
  startRunner,
  type TeamDb,
  waitFor,
  withTeamState,
} from "./support/team.ts";

const skipReason = inject("e2eSkipReason");
const PLAN = "fleet-city-bureaus";

describe.skipIf(skipReason !== "")("rollback against the shared state", () => {
  let fleet: Fleet;
  let db: TeamDb;
  let runner: RunnerProcess | undefined;
  let second: RunnerProcess | undefined;
  withTeamState(
    (f, d) => {
      fleet = f;
      db = d;
    },
    () => [runner, second],
  );

  it("refuses while a runner holds the lease, then rolls back under its own lease", async () => {
    runner = startRunner(db, "room-a", ["--hosts", "portal-src", "--lease-seconds", "5"]);
    const apply = startCli(["apply", fleet.planFile, "--yes", "--only", "portal", "--state", db.url], db.env);
    await waitFor(async () => {
      const { rows } = await db.pool.query(
        "SELECT 1 FROM work WHERE workload = 'portal' AND state = 'running'",
      );
      return rows.length > 0;
    }, "room-a to hold portal's lease");
    const rollback = ["rollback", fleet.planFile, "portal", "--yes", "--state", db.url];
    const held = await runCli(rollback, db.env);
    expect(held.exitCode, held.stderr).toBe(5);
    expect(held.stderr).toMatch(/portal is held by runner room-a \(run \S+, lease until/);
    const applied = await apply;
    expect(applied.exitCode, String(applied.stderr)).toBe(0);

    const done = await runCli(rollback, db.env);
    expect(done.exitCode, done.stderr).toBe(0);
    expect(done.stderr).toContain("portal rolled back under its lease");
    const { rows: work } = await db.pool.query<{
      run_id: string;
      runner: string;
      kind: string;
      state: string;
    }>(
      "SELECT run_id, runner, kind, state, status FROM work WHERE workload = 'portal' AND kind = 'rollback'",
    );
    expect(work).toHaveLength(1);
    expect(work[0]).toMatchObject({ state: "done", status: "rolled-back" });
    const mine = (await journalRows(db, PLAN)).filter((row) => row.record.runId === work[0]?.run_id);
    expect(mine.map((row) => row.record.type)).toEqual([
      "run-start",
      "step-start",
      "step-finish",
      "workload-end",
      "run-end",
    ]);
    expect(mine.every((row) => row.runner === work[0]?.runner && row.generation === 1)).toBe(true);
    expect(mine.find((row) => row.record.type === "workload-end")?.record).toMatchObject({
      status: "rolled-back",
    });
    const status = await runCli(["status", fleet.planFile, "--state", db.url, "--json"], db.env);
    expect(status.stdout).toContain('"rolled-back"');

    const runsBefore = await db.pool.query("SELECT run_id FROM runs");
    const again = await runCli(rollback, db.env);
    expect(again.exitCode).toBe(64);
    expect(again.stderr).toContain("portal was already rolled back");
    expect((await db.pool.query("SELECT run_id FROM runs")).rows).toHaveLength(runsBefore.rows.length);
  }, 90_000);

  it("takes the lease only after the operator says yes, and still refuses a run begun meanwhile", async () => {
    second = startRunner(db, "room-b", ["--hosts", "tax-src,lic-src", "--lease-seconds", "5"]);
    const only = (workload: string) => [
      "apply",
      fleet.planFile,
      "--yes",
      "--only",
      workload,
      "--state",
      db.url,
    ];
    const applied = await runCli(only("tax-collection"), db.env);
    expect(applied.exitCode, applied.stderr).toBe(0);
    const counts = async () =>
      (
        await db.pool.query<{ runs: string; leases: string }>(
          "SELECT (SELECT count(*) FROM runs) AS runs, (SELECT count(*) FROM work WHERE kind = 'rollback') AS leases",
        )
      ).rows[0];
    const before = await counts();
    const command = `${BIN} rollback ${fleet.planFile} tax-collection --state ${db.url}`;
    const ask = async (answer: string, meanwhile: () => Promise<void> = async () => undefined) => {
      const term: Terminal = openTerminal(command, { cwd: process.cwd(), env: db.env });
      try {
        await term.waitFor(/Send tax-collection's traffic back to its source now\?/, 60_000);
        // The question is open: nothing of the rollback is in the shared state yet.
        expect(await counts()).toEqual(before);
        await meanwhile();
        term.send(answer, "Enter");
        return await term.waitFor(/EXIT=\d+/, 60_000);
      } finally {
        term.kill();
      }
    };

    const declined = await ask("n");
    expect(declined).toContain("Nothing was changed.");
    expect(declined).toContain("EXIT=1");
    expect(await counts()).toEqual(before);

    // While the question is open, another desk starts a run of the plan and a runner takes it.
    const licensing = startCli(only("licensing"), db.env);
    const raced = await ask("y", async () => {
      await waitFor(async () => {
        const { rows } = await db.pool.query(
          "SELECT 1 FROM work WHERE workload = 'licensing' AND state = 'running'",
        );
        return rows.length > 0;
      }, "room-b to hold licensing");
    });
    expect(raced).toContain("EXIT=5");
    expect(raced.replace(/\s+/g, " ")).toMatch(
      /plan fleet-city-bureaus is being applied in the shared state by run/,
    );
    const done = await licensing;
    expect(done.exitCode, String(done.stderr)).toBe(0);
    const after = await counts();
    expect(after?.leases).toBe(before?.leases);
    // Only the licensing apply added a run.
    expect(Number(after?.runs)).toBe(Number(before?.runs) + 1);
  }, 240_000);
});
