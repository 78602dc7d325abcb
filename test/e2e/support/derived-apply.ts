/**
 * Running `migrate apply` on a derived plan (only the workloads a suite needs) and reading its
 * journal back, for the suites that change one workload's strategy or databases.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { JournalRecord } from "../../../src/engine/journal/journal-record.ts";
import { type DerivedPlan, type DeriveOptions, derivePlan } from "../../support/reliability/derived-plan.ts";
import { applyArgs, type MigrateExit, runMigrate } from "../../support/reliability/migrate-process.ts";

export interface DerivedRun {
  plan: DerivedPlan;
  exit: MigrateExit;
  records: JournalRecord[];
}

export async function applyDerived(options: DeriveOptions): Promise<DerivedRun> {
  const plan = derivePlan(options);
  const exit = await runMigrate(applyArgs(plan.planFile, plan.stateDir));
  const text = readFileSync(join(plan.stateDir, plan.planName, "journal.jsonl"), "utf8");
  const records = text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as JournalRecord);
  return { plan, exit, records };
}

/** The outputs of the last finish of `key` (`<workload>/<step>`). */
export function outputsOf(records: JournalRecord[], key: string): Record<string, unknown> | undefined {
  const record = records.filter((r) => r.type === "step-finish" && r.key === key).at(-1);
  return record?.type === "step-finish" ? record.outputs : undefined;
}

/** What `migrate apply` printed, for assertion messages. */
export function printed(run: DerivedRun): string {
  return `${run.exit.stdout}\n${run.exit.stderr}`.slice(-3000);
}
