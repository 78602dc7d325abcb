/**
 * Concurrency (issue 6, part 6), beyond apply-lock.test.ts (second apply refused, SIGKILLed
 * holder recovered): four applies started at the same instant on one state directory — exactly
 * one runs, the others are refused naming it; `rollback` is refused while an apply holds the
 * lock; a lock held from another machine is never guessed about; a garbage lock file is
 * respected while fresh (it may be mid-write) and recovered once stale.
 */
import { mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { hostExec, resetSystems } from "../../fixtures/fleet/index.ts";
import { derivePlan } from "../support/reliability/derived-plan.ts";
import { waitForRecord } from "../support/reliability/faults.ts";
import { applyArgs, runMigrate, startMigrate } from "../support/reliability/migrate-process.ts";
import { readJournalFile } from "../support/reliability/trial-checks.ts";

const skipReason = inject("e2eSkipReason");
const STOP_AFTER_SNAPSHOT = { MIGRATE_FAIL_AFTER: "portal/snapshot" };

function slowPortal(name: string) {
  return derivePlan({
    workloads: ["portal"],
    name,
    edit: (plan) => {
      plan.defaults = { ...plan.defaults, bandwidth: "4MiB/s" };
    },
  });
}

describe.skipIf(skipReason !== "")("concurrency on one state directory", () => {
  beforeAll(async () => {
    await resetSystems();
    await hostExec("tgt-1", "systemctl start nginx");
  });
  afterAll(resetSystems);

  it("four applies started at once: exactly one runs, the others are refused naming it", async () => {
    const derived = slowPortal("lock-race");
    const env = { MIGRATE_FAIL_AFTER: "portal/transfer" };
    const runs = Array.from({ length: 4 }, () =>
      startMigrate(applyArgs(derived.planFile, derived.stateDir), { env, deadlineMs: 120_000 }),
    );
    const exits = await Promise.all(runs.map((run) => run.done));
    const winners = exits.filter((exit) => exit.code !== 5);
    expect(winners.length, exits.map((e) => `${e.code}: ${e.stderr}`).join("\n")).toBe(1);
    expect(winners[0]!.code).toBe(3);
    const winner = runs[exits.indexOf(winners[0]!)]!;
    for (const loser of exits.filter((exit) => exit.code === 5)) {
      expect(loser.stderr).toContain(`is locked by pid ${winner.pid} (`);
      expect(loser.stderr).toContain(`@${hostname()}, \`migrate apply ${derived.planFile}\``);
      expect(loser.stderr).not.toMatch(/^\s+at /m);
    }
    const starts = readJournalFile(derived.stateDir, derived.planName).records.filter(
      (r) => r.type === "run-start",
    );
    expect(starts.map((r) => r.type === "run-start" && r.operator.pid)).toEqual([winner.pid]);
  });

  it("rollback is refused while an apply holds the lock", async () => {
    await resetSystems();
    const derived = slowPortal("lock-rollback");
    const apply = startMigrate(applyArgs(derived.planFile, derived.stateDir), {
      env: { MIGRATE_FAIL_AFTER: "portal/transfer" },
      deadlineMs: 120_000,
    });
    await waitForRecord(
      derived.stateDir,
      derived.planName,
      (r) => r.type === "step-start" && r.key === "portal/transfer",
    );
    const rollback = await runMigrate([
      "rollback",
      derived.planFile,
      "portal",
      "--yes",
      "--state-dir",
      derived.stateDir,
    ]);
    expect(rollback.code).toBe(5);
    expect(rollback.stderr).toContain(`locked by pid ${apply.pid}`);
    // The apply was not disturbed: it is still in its transfer.
    expect(apply.child.exitCode).toBeNull();
    apply.killGroup();
    await apply.done;
  });

  it("a lock held from another machine is refused and left in place", async () => {
    const derived = derivePlan({ workloads: ["portal"], name: "lock-foreign" });
    const dir = join(derived.stateDir, derived.planName);
    mkdirSync(dir, { recursive: true });
    const foreign = {
      pid: 1,
      host: "ops-jump-02",
      user: "ops",
      startedAt: "2026-11-25T01:00:00.000Z",
      command: "migrate apply plan.yaml",
    };
    writeFileSync(join(dir, "lock"), `${JSON.stringify(foreign)}\n`);
    const run = await runMigrate(applyArgs(derived.planFile, derived.stateDir), { env: STOP_AFTER_SNAPSHOT });
    expect(run.code).toBe(5);
    expect(run.stderr).toContain(
      "pid 1 (ops@ops-jump-02, `migrate apply plan.yaml`, since 2026-11-25T01:00:00.000Z)",
    );
    expect(run.stderr).toContain("delete");
    expect(readJournalFile(derived.stateDir, derived.planName).records).toEqual([]);
  });

  it("a garbage lock file is respected while fresh and recovered once stale", async () => {
    await resetSystems();
    const derived = derivePlan({ workloads: ["portal"], name: "lock-garbage" });
    const dir = join(derived.stateDir, derived.planName);
    mkdirSync(dir, { recursive: true });
    const lock = join(dir, "lock");
    writeFileSync(lock, '{"pid":');
    const fresh = await runMigrate(applyArgs(derived.planFile, derived.stateDir), {
      env: STOP_AFTER_SNAPSHOT,
    });
    expect(fresh.code).toBe(5);
    expect(fresh.stderr).toContain("locked by a process that is writing it right now");
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    const stale = await runMigrate(applyArgs(derived.planFile, derived.stateDir), {
      env: STOP_AFTER_SNAPSHOT,
    });
    expect(stale.code, stale.stderr).toBe(3);
    const records = readJournalFile(derived.stateDir, derived.planName).records;
    expect(records.some((r) => r.type === "step-finish" && r.key === "portal/snapshot")).toBe(true);
  });
});
