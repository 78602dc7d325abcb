/**
 * The run plan is the contract, on the fleet: `migrate plan --json` prints each step's input,
 * and apply hands the real steps exactly those inputs — compared step by step after a real
 * migration of the tax-collection system (PostgreSQL, proxy switch, row-count check). The dump
 * and restore commands the plan shows are the ones the hosts were sent.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { MemoryJournal } from "../../src/engine/journal/journal.ts";
import type { RunPlan } from "../../src/engine/planning/planner.ts";
import { applyPlan } from "../../src/engine/running/apply.ts";
import { loadPlanOrThrow } from "../../src/plan/load.ts";
import type { CommandAudit } from "../../src/remote/audit.ts";
import { planHosts, SshPool } from "../../src/remote/pool.ts";
import { STEP_IMPLEMENTATIONS } from "../../src/steps/index.ts";
import type { StepName } from "../../src/steps/names.ts";
import type { Step, StepImplementations } from "../../src/steps/types.ts";
import { BIN } from "./apply-support.ts";
import { preparePlan, resetFleet } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");
const WORKLOAD = "tax-collection";

describe.skipIf(skipReason !== "")("pipeline: apply executes the run plan `plan --json` printed", () => {
  let planned: RunPlan;
  const seen = new Map<string, unknown>();
  const commands: CommandAudit[] = [];
  let status: string;
  let journal: MemoryJournal;

  beforeAll(async () => {
    await resetFleet();
    // The dump path's commands are the subject here (replication: replication-postgres*.test.ts).
    const { planFile, stateDir } = preparePlan((plan) => {
      const tax = plan.workloads?.find((w) => w.name === WORKLOAD);
      for (const db of tax?.databases ?? []) db.mode = "dump";
    });
    const printed = await execa(BIN, ["plan", planFile, "--json", "--state-dir", stateDir], {
      env: { NO_COLOR: "1" },
    });
    planned = JSON.parse(String(printed.stdout)) as RunPlan;

    // The real steps, each noting the input it was handed before it runs.
    const noting = <S extends StepName>(step: Step<S>): Step<S> => ({
      ...step,
      run: (input, context) => {
        seen.set(`${input.workload}/${step.name}`, structuredClone(input));
        return step.run(input, context);
      },
    });
    const real = STEP_IMPLEMENTATIONS;
    const steps: StepImplementations = {
      snapshot: noting(real.snapshot),
      transfer: noting(real.transfer),
      reconfigure: noting(real.reconfigure),
      cutover: noting(real.cutover),
      verify: noting(real.verify),
    };
    const loaded = await loadPlanOrThrow(planFile);
    const pool = new SshPool({ hosts: planHosts(loaded.plan), onCommand: (audit) => commands.push(audit) });
    journal = new MemoryJournal();
    try {
      const result = await applyPlan({
        plan: loaded.plan,
        planFile,
        planHash: loaded.hash,
        journal,
        steps,
        remote: async (host) => pool.remote(host),
        onEvent: () => {},
        signal: AbortSignal.timeout(240_000),
        workDir: (workload) => join(mkdtempSync(join(tmpdir(), "plan-contract-")), workload),
        only: [WORKLOAD],
      });
      status = result.status;
    } finally {
      await pool.close();
    }
  }, 300_000);

  it("migrates the workload", () => {
    const ends = journal.records.filter((r) => r.type === "workload-end");
    expect(status, JSON.stringify(ends)).toBe("succeeded");
  });

  it("hands every step the input `plan --json` printed for it", () => {
    const workload = planned.waves.flatMap((w) => w.workloads).find((w) => w.name === WORKLOAD)!;
    expect(workload.steps.map((s) => s.name)).toEqual([...seen.keys()].map((key) => key.split("/")[1]));
    for (const step of workload.steps) expect(seen.get(step.key), step.key).toEqual(step.input);
  });

  it("dumps into the file the plan named, with the command the plan showed", () => {
    const workload = planned.waves.flatMap((w) => w.workloads).find((w) => w.name === WORKLOAD)!;
    const snapshot = workload.steps.find((s) => s.name === "snapshot")!;
    const dump = snapshot.actions.find((a) => a.type === "dump")!;
    const finish = journal.records.find((r) => r.type === "step-finish" && r.key === `${WORKLOAD}/snapshot`);
    const outputs = finish?.type === "step-finish" && finish.step === "snapshot" ? finish.outputs : undefined;
    expect(outputs?.databases[0]?.dumpFile).toBe(dump.type === "dump" && dump.file);
    const sent = commands.filter((c) => c.host === "tax-src").map((c) => c.command);
    expect(sent.some((text) => dump.type === "dump" && text.includes(dump.tool))).toBe(true);
    const restore = workload.steps
      .find((s) => s.name === "reconfigure")!
      .actions.find((a) => a.type === "restore")!;
    const onTarget = commands.filter((c) => c.host === "tgt-2").map((c) => c.command);
    expect(onTarget.some((text) => restore.type === "restore" && text.includes(restore.tool))).toBe(true);
  });
});
