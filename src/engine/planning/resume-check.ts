/**
 * Resume safety: a workload whose finished steps were computed from other inputs than the plan
 * now gives must not continue, or apply would mix two plans on one host.
 */
import { UserError } from "../../errors.ts";
import type { Plan } from "../../plan/schema.ts";
import type { JournalSummary, StepState } from "../journal/journal-fold.ts";
import type { JournalRecord } from "../journal/journal-record.ts";
import { changedFields, workloadFieldHashes, workloadInputHash } from "./input-hash.ts";

export interface PlanChange {
  workload: string;
  /** Changed top-level workload fields, `host <name>` or `tenant <name>`; empty if unknown. */
  fields: string[];
}

export function findPlanChanges(
  plan: Plan,
  records: readonly JournalRecord[],
  summary: JournalSummary,
): PlanChange[] {
  const fieldsByRun = new Map<string, Record<string, Record<string, string>>>();
  for (const record of records) {
    if (record.type === "run-start" && record.workloadFieldHashes)
      fieldsByRun.set(record.runId, record.workloadFieldHashes);
  }
  const changes: PlanChange[] = [];
  for (const workload of plan.workloads) {
    const done = summary.workloads.get(workload.name);
    if (!done || done.completed.size === 0) continue;
    const now = workloadFieldHashes(plan, workload);
    const hash = workloadInputHash(now);
    const finished = Object.values<StepState | undefined>(done.steps).filter(
      (step) => step?.state === "finished" && done.completed.size > 0 && step.inputHash !== undefined,
    );
    const stale = finished.find((step) => step?.inputHash !== hash);
    if (!stale) continue;
    const before = fieldsByRun.get(stale.runId)?.[workload.name];
    changes.push({ workload: workload.name, fields: before ? changedFields(before, now) : [] });
  }
  return changes;
}

export function planChangedError(changes: PlanChange[]): UserError {
  const list = changes
    .map(
      (change) =>
        `${change.workload} (${change.fields.length ? change.fields.join(", ") : "inputs"} changed)`,
    )
    .join("; ");
  return new UserError(
    "plan-changed",
    `the plan changed under steps that already finished: ${list}. Resuming would mix two plans on the same hosts`,
    {
      hint: "restore the plan, or start a new state dir / roll back the workload first (`migrate rollback`)",
    },
  );
}
