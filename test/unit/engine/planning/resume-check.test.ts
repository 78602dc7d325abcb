/**
 * Resume safety read from the journal: a workload is refused when a step that finished (and
 * still counts) was computed from other inputs than the plan gives now, naming what changed.
 */
import { describe, expect, it } from "vitest";
import { foldJournal } from "../../../../src/engine/journal/journal-fold.ts";
import type { JournalRecord } from "../../../../src/engine/journal/journal-record.ts";
import { workloadFieldHashes, workloadInputHash } from "../../../../src/engine/planning/input-hash.ts";
import { findPlanChanges, planChangedError } from "../../../../src/engine/planning/resume-check.ts";
import type { Plan } from "../../../../src/plan/schema.ts";
import { makePlan } from "../fixtures.ts";

const base = { v: 1 as const, at: "2026-12-05T14:00:00.000Z" };

function runStart(runId: string, plan: Plan | undefined): JournalRecord {
  return {
    ...base,
    type: "run-start",
    runId,
    planFile: "plan.yaml",
    planName: "unit-plan",
    planHash: "ph",
    workloadHashes: {},
    command: "apply",
    operator: { user: "u", host: "h", pid: 1, version: "0.1.0", argv: [] },
    ...(plan
      ? {
          workloadFieldHashes: Object.fromEntries(
            plan.workloads.map((w) => [w.name, workloadFieldHashes(plan, w)]),
          ),
        }
      : {}),
  } as JournalRecord;
}

const hashOf = (plan: Plan, name: string) =>
  workloadInputHash(workloadFieldHashes(plan, plan.workloads.find((w) => w.name === name)!));

function finished(
  runId: string,
  workload: string,
  step: string,
  inputHash: string | undefined,
): JournalRecord[] {
  const key = `${workload}/${step}`;
  const hash = inputHash === undefined ? {} : { inputHash };
  return [
    { ...base, type: "step-start", runId, workload, step, key, attempt: 1, ...hash },
    { ...base, type: "step-finish", runId, workload, step, key, durationMs: 1, outputs: {}, ...hash },
  ] as JournalRecord[];
}

function failed(runId: string, workload: string, step: string, inputHash: string): JournalRecord[] {
  const key = `${workload}/${step}`;
  return [
    { ...base, type: "step-start", runId, workload, step, key, attempt: 1, inputHash },
    {
      ...base,
      type: "step-fail",
      runId,
      workload,
      step,
      key,
      attempt: 1,
      willRetry: false,
      error: { kind: "remote", message: "x", retryable: false },
    },
  ] as JournalRecord[];
}

const changes = (plan: Plan, records: JournalRecord[]) =>
  findPlanChanges(plan, records, foldJournal(records));

describe("resume check", () => {
  const before = makePlan([{ name: "a" }, { name: "b", source: "src-2" }]);
  const after = structuredClone(before);
  after.workloads[0]!.paths = ["/srv/other"];

  it("lets an unchanged plan resume", () => {
    const records = [runStart("r1", before), ...finished("r1", "a", "snapshot", hashOf(before, "a"))];
    expect(changes(before, records)).toEqual([]);
  });

  it("names the changed fields, from the run that finished the stale step", () => {
    const records = [
      runStart("r1", before),
      ...finished("r1", "a", "snapshot", hashOf(before, "a")),
      // A later run that finished nothing of a: its field hashes are not the ones to compare.
      runStart("r2", after),
      ...finished("r2", "b", "snapshot", hashOf(after, "b")),
    ];
    expect(changes(after, records)).toEqual([{ workload: "a", fields: ["paths"] }]);
  });

  it("says only 'inputs' when the journal predates per-field hashes", () => {
    const records = [runStart("r1", undefined), ...finished("r1", "a", "snapshot", hashOf(before, "a"))];
    const found = changes(after, records);
    expect(found).toEqual([{ workload: "a", fields: [] }]);
    const error = planChangedError([...found, { workload: "b", fields: ["host src-2", "paths"] }]);
    expect(error.kind).toBe("plan-changed");
    expect(error.message).toBe(
      "the plan changed under steps that already finished: a (inputs changed); b (host src-2, paths changed). Resuming would mix two plans on the same hosts",
    );
    expect(error.hint).toBe(
      "restore the plan, or start a new state dir / roll back the workload first (`migrate rollback`)",
    );
  });

  it("ignores steps that did not finish, and finished steps journaled without an input hash", () => {
    const records = [
      runStart("r1", before),
      ...finished("r1", "a", "snapshot", hashOf(after, "a")),
      ...failed("r1", "a", "transfer", hashOf(before, "a")),
      ...finished("r1", "b", "snapshot", undefined),
    ];
    expect(changes(after, records)).toEqual([]);
  });

  it("ignores a workload with nothing finished, or whose finished steps a rollback cleared", () => {
    const rolledBack = [
      runStart("r1", before),
      ...finished("r1", "a", "snapshot", hashOf(before, "a")),
      ...finished("r1", "a", "rollback", hashOf(before, "a")),
    ];
    expect(foldJournal(rolledBack).workloads.get("a")?.completed.size).toBe(0);
    expect(changes(after, rolledBack)).toEqual([]);
    expect(
      changes(after, [runStart("r1", before), ...failed("r1", "a", "snapshot", hashOf(before, "a"))]),
    ).toEqual([]);
  });
});
