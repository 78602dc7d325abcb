/**
 * Old journals on operators' disks keep working. fixtures/journals/fleet-city-bureaus holds a
 * journal migrate 0.1.x recorded on the test fleet (apply, two operator rollbacks, an injected
 * fault, a failed reload with its retry, Ctrl-C during a cutover with the automatic rollback)
 * and what that version's status, report and resume read from it (expected.json). This version
 * validates every record of it and folds it to the same answers.
 */
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileJournal } from "../../../../src/engine/journal/journal.ts";
import { completedSteps, foldJournal } from "../../../../src/engine/journal/journal-fold.ts";
import { readJournal } from "../../../../src/engine/journal/journal-read.ts";
import { RECORD_TYPES, type RecordType } from "../../../../src/engine/journal/journal-record.ts";
import { buildStatus } from "../../../../src/engine/journal/status.ts";
import { memoryOf } from "../../../../src/engine/running/workload-memory.ts";
import { loadPlanOrThrow } from "../../../../src/plan/load.ts";
import { buildReport } from "../../../../src/report/model.ts";
import { plannedOf, tempDir } from "../fixtures.ts";

const DIR = join(import.meta.dirname, "../../../../fixtures/journals/fleet-city-bureaus");
const JOURNAL = join(DIR, "journal.jsonl");
const expected = JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8"));
const json = (value: unknown) => JSON.parse(JSON.stringify(value));

async function recorded() {
  const { plan } = await loadPlanOrThrow(join(DIR, "plan.yaml"));
  const contents = await readJournal(JOURNAL);
  return { plan, contents };
}

describe("a journal recorded by migrate 0.1.x", () => {
  it("reads whole: every record validates, nothing is torn", async () => {
    const { contents } = await recorded();
    const lines = readFileSync(JOURNAL, "utf8").split("\n").filter(Boolean);
    expect(contents.records).toHaveLength(lines.length);
    expect(contents.torn).toBeUndefined();
    // Every record type but a recovered lock (no lock went stale while it was recorded) and
    // those newer than the recording (hooks, finalize, prepare).
    const types = new Set(contents.records.map((r) => r.type));
    expect([...RECORD_TYPES].filter((type) => !types.has(type as RecordType))).toEqual([
      "lock-recovered",
      "hook-start",
      "hook-end",
      "finalize",
      "prepare",
    ]);
  });

  it("opens for appending as it is (apply and rollback resume on it)", () => {
    const dir = join(tempDir(), "fleet-city-bureaus");
    mkdirSync(dir);
    copyFileSync(JOURNAL, join(dir, "journal.jsonl"));
    const journal = FileJournal.open(join(dir, "journal.jsonl"));
    expect(journal.torn).toBeUndefined();
    expect(journal.records).toHaveLength(readFileSync(JOURNAL, "utf8").split("\n").filter(Boolean).length);
  });

  it("status shows what 0.1.x showed", async () => {
    const { plan, contents } = await recorded();
    const status = json(buildStatus(plan, "state", contents));
    // Readiness and the age of the last sync came later: every field 0.1.x showed is unchanged.
    const added = ["readiness", "lastSyncAt", "lastSyncAgeS"];
    const readiness: string[] = [];
    for (const wave of status.waves)
      for (const bureau of wave.bureaus)
        for (const workload of bureau.workloads) {
          readiness.push(`${workload.name}: ${workload.readiness}`);
          for (const field of added) delete workload[field];
        }
    expect(status).toEqual(expected.status);
    expect(readiness).toEqual(["portal: in progress", "tax-collection: verified", "licensing: verified"]);
  });

  it("the sign-off report says what 0.1.x said", async () => {
    const { plan, contents } = await recorded();
    const report = buildReport({
      plan,
      planFile: "plan.yaml",
      records: contents.records,
      now: new Date("2026-12-01T10:00:00.000Z"),
    });
    expect(json(report)).toEqual(expected.report);
  });

  it("resume skips the same steps and hands the same outputs and checkpoints to the rest", async () => {
    const { plan, contents } = await recorded();
    const summary = foldJournal(contents.records);
    for (const workload of plan.workloads) {
      const before = expected.resume[workload.name];
      const memory = memoryOf(
        plannedOf(plan, workload.name),
        { [workload.name]: "h" },
        summary.workloads.get(workload.name),
      );
      expect([...(summary.workloads.get(workload.name)?.completed ?? [])]).toEqual(before.completed);
      expect(json(memory.outputs)).toEqual(before.outputs);
      // 0.1.x keyed checkpoints by `${workload}/${step}`, this version by step.
      const checkpoints = Object.fromEntries(
        Object.entries(memory.checkpoints).map(([step, data]) => [`${workload.name}/${step}`, data]),
      );
      expect(json(checkpoints)).toEqual(before.checkpoints);
    }
    expect([...completedSteps(summary)]).toEqual(
      plan.workloads.flatMap((workload) => expected.resume[workload.name].completed),
    );
  });
});
