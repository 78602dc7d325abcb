/**
 * Reading the journal back: the text checks (blank lines, a torn tail after a crash, foreign or
 * newer records, another plan's journal) and the fold into per-workload state that status,
 * report and resume all read.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { foldJournal } from "../../../../src/engine/journal/journal-fold.ts";
import { parseJournal, readJournal } from "../../../../src/engine/journal/journal-read.ts";
import type { JournalRecord } from "../../../../src/engine/journal/journal-record.ts";
import { UserError } from "../../../../src/errors.ts";
import { tempDir } from "../fixtures.ts";

const at = (s: number) => new Date(Date.UTC(2026, 11, 5, 14, 0, s)).toISOString();
const runStart = (runId: string, extra: Record<string, unknown> = {}) =>
  ({
    v: 1,
    type: "run-start",
    runId,
    at: at(0),
    planFile: "plan.yaml",
    planName: "p",
    planHash: `ph-${runId}`,
    workloadHashes: {},
    operator: { user: "u", host: "h", pid: 1, version: "0.1.0", argv: [] },
    ...extra,
  }) as JournalRecord;
const step = (type: string, workload: string, name: string, s: number, extra: Record<string, unknown> = {}) =>
  ({
    v: 1,
    type,
    runId: "r1",
    at: at(s),
    workload,
    step: name,
    key: `${workload}/${name}`,
    ...extra,
  }) as JournalRecord;
const start = (w: string, name: string, s: number, attempt = 1) =>
  step("step-start", w, name, s, { attempt, inputHash: `ih-${name}` });
const finish = (w: string, name: string, s: number) =>
  step("step-finish", w, name, s, { durationMs: 1000, inputHash: `ih-${name}`, outputs: { n: s } });
const fail = (w: string, name: string, s: number, willRetry: boolean, attempt = 1) =>
  step("step-fail", w, name, s, {
    attempt,
    willRetry,
    error: { kind: "remote", message: `boom ${s}`, retryable: willRetry },
  });
const checkpoint = (w: string, name: string, s: number) =>
  step("step-checkpoint", w, name, s, { data: { at: s } });
const end = (w: string, status: string, extra: Record<string, unknown> = {}) =>
  ({ v: 1, type: "workload-end", runId: "r1", at: at(90), workload: w, status, ...extra }) as JournalRecord;

function refusal(run: () => unknown): UserError {
  try {
    run();
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("journal text", () => {
  const line = (record: unknown) => JSON.stringify(record);
  const RESTORE =
    "restore the journal from a backup; migrate never rewrites it, so another program changed it";

  it("skips blank and whitespace-only lines, and reads a last record without its newline", () => {
    const text = `\n${line(runStart("r1"))}\n   \n\t\n${line(start("a", "snapshot", 1))}`;
    expect(parseJournal(text).records.map((r) => r.type)).toEqual(["run-start", "step-start"]);
  });

  it("reports a half-written last object as a torn tail, at its line and byte offset", () => {
    const first = line({ ...runStart("r1"), planFile: "计划.yaml" });
    const text = `${first}\n  {"v":1,"type":"step-st\n\n  \n`;
    expect(parseJournal(text)).toEqual({
      records: [JSON.parse(first)],
      torn: { line: 2, text: '  {"v":1,"type":"step-st', offset: Buffer.byteLength(first) + 1 },
    });
  });

  it("refuses garbage that is not a crash's torn tail, at file:line", () => {
    const good = line(runStart("r1"));
    for (const [text, at] of [
      [`{"v":1,"ty\n${good}\n`, 1],
      [`${good}\nnot json at all\n`, 2],
      [`${good}\n[1,2]\n`, 2],
      [`${good}\n42\n`, 2],
      [`${good}\nnull\n`, 2],
      [`${good}\n"text"\n`, 2],
    ] as const) {
      const error = refusal(() => parseJournal(text, "/s/p/journal.jsonl"));
      expect(error.kind, text).toBe("journal");
      expect(error.message).toBe(`/s/p/journal.jsonl:${at}: the journal is corrupt (not a journal record)`);
      expect(error.hint).toBe(RESTORE);
    }
  });

  it("refuses a record of another version or of an unknown type", () => {
    const newer = refusal(() => parseJournal(`${line({ ...runStart("r1"), v: 2 })}\n`));
    expect(newer.message).toBe(
      "journal.jsonl:1: journal record version 2 is not one this migrate can read (only 1)",
    );
    expect(newer.hint).toBe(
      "a newer migrate wrote this journal; use that version, or restore the journal from a backup",
    );
    expect(newer.kind).toBe("journal");
    const { v: _v, ...unversioned } = runStart("r1") as unknown as Record<string, unknown>;
    expect(refusal(() => parseJournal(line(unversioned))).message).toContain("journal record version null");
    const unknown = refusal(() => parseJournal(line({ v: 1, type: "step-teleport" })));
    expect(unknown.message).toBe('journal.jsonl:1: unknown journal record type "step-teleport"');
    expect(unknown.hint).toBe(RESTORE);
    expect(unknown.kind).toBe("journal");
    expect(refusal(() => parseJournal(line({ v: 1 }))).message).toBe(
      "journal.jsonl:1: unknown journal record type null",
    );
  });

  it("checks the plan only for a file named journal.jsonl inside a plan directory", () => {
    const text = `${line(runStart("r1"))}\n`;
    const other = refusal(() => parseJournal(text, "/s/mine/journal.jsonl"));
    expect(other.message).toBe('/s/mine/journal.jsonl:1: this journal belongs to plan "p", not "mine"');
    expect(other.hint).toBe(
      "the journal was copied from another plan's state directory; move it back or pass the right --state-dir",
    );
    expect(parseJournal(text, "/s/mine/backup.jsonl").records).toHaveLength(1);
    expect(parseJournal(text, "journal.jsonl").records).toHaveLength(1);
    expect(parseJournal(text).records).toHaveLength(1);
  });

  it("reads a missing journal file as empty, and does not hide other read errors", async () => {
    const dir = tempDir();
    expect(await readJournal(join(dir, "p", "journal.jsonl"))).toEqual({ records: [] });
    mkdirSync(join(dir, "p", "journal.jsonl"), { recursive: true });
    await expect(readJournal(join(dir, "p", "journal.jsonl"))).rejects.toMatchObject({ code: "EISDIR" });
  });
});

describe("journal fold", () => {
  it("keeps each run's command, times, status and reason, and the last plan hash", () => {
    const summary = foldJournal([
      runStart("r1"),
      {
        v: 1,
        type: "run-end",
        runId: "r1",
        at: at(9),
        status: "failed",
        reason: "host key refused",
      } as JournalRecord,
      runStart("r2", { command: "rollback" }),
      { v: 1, type: "run-end", runId: "r2", at: at(20), status: "succeeded" } as JournalRecord,
      { v: 1, type: "run-end", runId: "nobody", at: at(30), status: "failed", reason: "x" } as JournalRecord,
      { v: 1, type: "lock-recovered", at: at(31) } as unknown as JournalRecord,
    ]);
    expect(summary.runs).toEqual([
      {
        runId: "r1",
        command: "apply",
        startedAt: at(0),
        endedAt: at(9),
        status: "failed",
        reason: "host key refused",
        planHash: "ph-r1",
        operator: { user: "u", host: "h", pid: 1, version: "0.1.0", argv: [] },
      },
      {
        runId: "r2",
        command: "rollback",
        startedAt: at(0),
        endedAt: at(20),
        status: "succeeded",
        planHash: "ph-r2",
        operator: { user: "u", host: "h", pid: 1, version: "0.1.0", argv: [] },
      },
    ]);
    expect(summary.lastPlanHash).toBe("ph-r2");
    expect(summary.workloads.size).toBe(0);
  });

  it("follows a step through a retried failure, a checkpoint and its finish", () => {
    const failedOnce = foldJournal([start("a", "transfer", 1), fail("a", "transfer", 3, true)]);
    expect(failedOnce.workloads.get("a")!.steps.transfer?.error).toEqual({
      kind: "remote",
      message: "boom 3",
      retryable: true,
    });
    const summary = foldJournal([
      runStart("r1"),
      start("a", "transfer", 1),
      checkpoint("a", "transfer", 2),
      fail("a", "transfer", 3, true),
      start("a", "transfer", 4, 2),
      finish("a", "transfer", 9),
    ]);
    const a = summary.workloads.get("a")!;
    expect(a.steps.transfer).toEqual({
      state: "finished",
      attempts: 2,
      startedAt: at(4),
      // The report's bar starts at the first attempt.
      firstStartedAt: at(1),
      finishedAt: at(9),
      endedAt: at(9),
      durationMs: 1000,
      inputHash: "ih-transfer",
      runId: "r1",
      outputs: { n: 9 },
      // The checkpoint of the first attempt is what the retry resumed from.
      lastCheckpoint: { at: 2 },
    });
    expect(a.status).toBe("running");
    expect(a.currentStep).toBe("transfer");
    expect([...a.completed]).toEqual(["a/transfer"]);
  });

  it("while a retry is pending the step stays running; a final failure or an interrupt ends it", () => {
    const retrying = foldJournal([start("a", "snapshot", 1), fail("a", "snapshot", 2, true)]);
    expect(retrying.workloads.get("a")!.steps.snapshot?.state).toBe("running");
    const failed = foldJournal([start("a", "snapshot", 1), fail("a", "snapshot", 2, false, 3)]);
    expect(failed.workloads.get("a")!.steps.snapshot).toMatchObject({ state: "failed", attempts: 3 });
    const stopped = foldJournal([
      start("a", "snapshot", 1),
      step("step-interrupted", "a", "snapshot", 2, { attempt: 1 }),
    ]);
    expect(stopped.workloads.get("a")!.steps.snapshot?.state).toBe("interrupted");
  });

  it("keeps a failure for a step it never saw start, and ignores its checkpoint or interrupt", () => {
    const summary = foldJournal([
      checkpoint("a", "transfer", 1),
      fail("a", "transfer", 2, false),
      step("step-interrupted", "a", "verify", 3, { attempt: 1 }),
    ]);
    expect(summary.workloads.get("a")).toEqual({
      name: "a",
      status: "pending",
      steps: {},
      completed: new Set(),
      hooks: [],
      beforeHooksDone: new Map(),
      failures: [
        {
          step: "transfer",
          at: at(2),
          attempt: 1,
          willRetry: false,
          error: { kind: "remote", message: "boom 2", retryable: false },
        },
      ],
    });
  });

  it("counts a finish without a start as one attempt", () => {
    const summary = foldJournal([finish("a", "snapshot", 5)]);
    expect(summary.workloads.get("a")!.steps.snapshot).toMatchObject({
      attempts: 1,
      runId: "r1",
      state: "finished",
    });
  });

  it("a workload's end sets its status, reason and downtime; success clears the current step", () => {
    const summary = foldJournal([
      start("a", "verify", 1),
      end("a", "succeeded", { downtimeMs: 5000, downtimeBudgetMs: 60000, budgetExceeded: false }),
      start("b", "cutover", 1),
      end("b", "failed", { reason: "window has closed" }),
    ]);
    expect(summary.workloads.get("a")).toMatchObject({
      status: "succeeded",
      currentStep: undefined,
      downtimeMs: 5000,
      downtimeBudgetMs: 60000,
      budgetExceeded: false,
      lastRunId: "r1",
    });
    expect(summary.workloads.get("b")).toMatchObject({
      status: "failed",
      currentStep: "cutover",
      reason: "window has closed",
    });
    // A new start clears the old reason.
    const again = foldJournal([
      start("b", "cutover", 1),
      end("b", "failed", { reason: "x" }),
      start("b", "cutover", 2),
    ]);
    expect(again.workloads.get("b")).toMatchObject({ status: "running", reason: undefined });
  });

  it("a finished rollback keeps pointing at the step that caused it and clears what was done", () => {
    const summary = foldJournal([
      start("a", "transfer", 1),
      checkpoint("a", "transfer", 2),
      finish("a", "transfer", 3),
      start("a", "verify", 4),
      fail("a", "verify", 5, false),
      start("a", "rollback", 6),
      checkpoint("a", "rollback", 7),
      finish("a", "rollback", 8),
    ]);
    const a = summary.workloads.get("a")!;
    expect(a.currentStep).toBe("verify");
    expect(a.completed.size).toBe(0);
    expect(a.rolledBackAt).toBe(at(8));
    expect(a.steps.transfer?.lastCheckpoint).toBeUndefined();
    expect(a.steps.rollback?.lastCheckpoint).toEqual({ at: 7 });
    // A rollback with nothing before it (`migrate rollback` in its own run) is the current step.
    const alone = foldJournal([start("b", "rollback", 1)]);
    expect(alone.workloads.get("b")!.currentStep).toBe("rollback");
  });
});
