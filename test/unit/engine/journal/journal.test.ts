import { appendFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileJournal } from "../../../../src/engine/journal/journal.ts";
import { foldJournal } from "../../../../src/engine/journal/journal-fold.ts";
import {
  parseJournal,
  readCompletedSteps,
  readJournal,
} from "../../../../src/engine/journal/journal-read.ts";
import type { JournalRecord } from "../../../../src/engine/journal/journal-record.ts";
import { journalPath } from "../../../../src/engine/journal/state-dir.ts";
import { OUTPUTS } from "../../../support/step-outputs.ts";
import { tempDir } from "../fixtures.ts";

const at = "2026-11-25T00:00:00.000Z";
const start = (
  workload: string,
  step: "snapshot" | "transfer" | "rollback",
  runId = "r1",
): JournalRecord => ({
  v: 1,
  type: "step-start",
  runId,
  at,
  workload,
  step,
  key: `${workload}/${step}`,
  attempt: 1,
  inputHash: "h",
});
const finish = (workload: string, step: "snapshot" | "transfer" | "rollback"): JournalRecord =>
  ({
    v: 1,
    type: "step-finish",
    runId: "r1",
    at,
    workload,
    step,
    key: `${workload}/${step}`,
    inputHash: "h",
    durationMs: 1,
    outputs: OUTPUTS[step],
  }) as JournalRecord;

describe("journal", () => {
  it("appends fsynced records that read back in order", async () => {
    const root = tempDir();
    const path = journalPath(root, "p");
    const journal = FileJournal.open(path);
    await journal.append(start("a", "snapshot"));
    await journal.append(finish("a", "snapshot"));
    await journal.close();
    const { records, torn } = await readJournal(path);
    expect(torn).toBeUndefined();
    expect(records.map((r) => r.type)).toEqual(["step-start", "step-finish"]);
    expect(await readCompletedSteps(root, "p")).toEqual(new Set(["a/snapshot"]));
  });

  it("group-commits concurrent appends: every one resolves, in call order on disk", async () => {
    const root = tempDir();
    const path = journalPath(root, "p");
    const journal = FileJournal.open(path);
    const names = Array.from({ length: 100 }, (_, i) => `w${i}`);
    await Promise.all(names.map((name) => journal.append(finish(name, "snapshot"))));
    const { records } = await readJournal(path);
    expect(records.map((r) => (r.type === "step-finish" ? r.workload : ""))).toEqual(names);
    await journal.close();
    await expect(journal.append(finish("late", "snapshot"))).rejects.toThrow(/closed/);
  });

  it("tolerates and reports a torn last record, and the writer cuts it off before appending", async () => {
    const root = tempDir();
    const path = journalPath(root, "p");
    const journal = FileJournal.open(path);
    await journal.append(finish("a", "snapshot"));
    await journal.close();
    appendFileSync(path, '{"v":1,"type":"step-st');
    const read = await readJournal(path);
    expect(read.records).toHaveLength(1);
    expect(read.torn).toMatchObject({ line: 2, text: '{"v":1,"type":"step-st' });

    const reopened = FileJournal.open(path);
    expect(reopened.torn?.line).toBe(2);
    await reopened.append(finish("a", "transfer"));
    await reopened.close();
    const after = await readJournal(path);
    expect(after.torn).toBeUndefined();
    expect(after.records.map((r) => (r.type === "step-finish" ? r.key : r.type))).toEqual([
      "a/snapshot",
      "a/transfer",
    ]);
    const saved = readdirSync(join(root, "p")).filter((name) => name.startsWith("journal.torn-"));
    expect(saved).toHaveLength(1);
    expect(readFileSync(join(root, "p", saved[0] as string), "utf8")).toBe('{"v":1,"type":"step-st');
  });

  it("reports a corrupt record in the middle with its line number", async () => {
    const root = tempDir();
    const path = join(root, "journal.jsonl");
    writeFileSync(
      path,
      `${JSON.stringify(finish("a", "snapshot"))}\nnot json\n${JSON.stringify(finish("a", "transfer"))}\n`,
    );
    await expect(readJournal(path)).rejects.toMatchObject({
      kind: "journal",
      message: expect.stringContaining(":2:"),
    });
  });

  it("accepts a complete last record without its newline and appends on a fresh line", async () => {
    const root = tempDir();
    const path = join(root, "journal.jsonl");
    writeFileSync(path, JSON.stringify(finish("a", "snapshot")));
    expect(parseJournal(readFileSync(path, "utf8")).records).toHaveLength(1);
    const journal = FileJournal.open(path);
    await journal.append(finish("a", "transfer"));
    await journal.close();
    expect((await readJournal(path)).records).toHaveLength(2);
  });

  it("a finished rollback invalidates the workload's completed steps", () => {
    const summary = foldJournal([
      finish("a", "snapshot"),
      finish("a", "transfer"),
      finish("b", "snapshot"),
      finish("a", "rollback"),
    ]);
    expect([...(summary.workloads.get("a")?.completed ?? [])]).toEqual([]);
    expect([...(summary.workloads.get("b")?.completed ?? [])]).toEqual(["b/snapshot"]);
  });

  it("keeps the latest checkpoint of a step across attempts", () => {
    const checkpoint = (n: number): JournalRecord => ({
      v: 1,
      type: "step-checkpoint",
      runId: "r1",
      at,
      workload: "a",
      step: "transfer",
      key: "a/transfer",
      data: { digest: "d", verified: [n] },
    });
    const summary = foldJournal([
      start("a", "transfer"),
      checkpoint(1),
      checkpoint(2),
      start("a", "transfer", "r2"),
    ]);
    expect(summary.workloads.get("a")?.steps.transfer?.lastCheckpoint).toEqual({
      digest: "d",
      verified: [2],
    });
  });
});
