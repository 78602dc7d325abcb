/**
 * Every journal record is validated against its schema when read (journal-record.ts), a step's
 * outputs and checkpoints against the step's contract (steps/contracts.ts). Damage is refused at
 * file:line with the journal's exit code; a torn tail is still only cut off.
 */
import { describe, expect, it } from "vitest";
import { parseJournal } from "../../../../src/engine/journal/journal-read.ts";
import { UserError } from "../../../../src/errors.ts";
import { ExitCode, exitCodeFor } from "../../../../src/exit-codes.ts";
import { OUTPUTS } from "../../../support/step-outputs.ts";

const at = "2026-11-25T00:00:00.000Z";
const line = (record: Record<string, unknown>) => JSON.stringify(record);
const runStart = {
  v: 1,
  type: "run-start",
  runId: "r1",
  at,
  planFile: "plan.yaml",
  planName: "p",
  planHash: "0",
  workloadHashes: {},
  operator: { user: "u", host: "h", pid: 1, version: "0.1.0", argv: [] },
};
const stepBase = (step: string) => ({ v: 1, runId: "r1", at, workload: "a", step, key: `a/${step}` });
const stepStart = { ...stepBase("transfer"), type: "step-start", attempt: 1, inputHash: "h" };
const finish = (step: keyof typeof OUTPUTS, outputs: unknown = OUTPUTS[step]) => ({
  ...stepBase(step),
  type: "step-finish",
  inputHash: "h",
  durationMs: 5,
  outputs,
});
const checkpoint = (step: string, data: unknown) => ({ ...stepBase(step), type: "step-checkpoint", data });
const runEnd = { v: 1, type: "run-end", runId: "r1", at, status: "succeeded" };

/** A journal whose second line is `bad`, between good records. */
function journalWith(bad: Record<string, unknown>): string {
  return `${[runStart, bad, runEnd].map(line).join("\n")}\n`;
}

function refusal(text: string): UserError {
  try {
    parseJournal(text, "/s/p/journal.jsonl");
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error("expected the journal to be refused");
}

describe("journal records are validated when read", () => {
  it("reads a good journal: every record type, each step's outputs and checkpoints", () => {
    const records = [
      runStart,
      {
        v: 1,
        type: "lock-recovered",
        runId: "r1",
        at,
        previous: { pid: 9, host: "h", user: "u", startedAt: at, command: "migrate apply" },
      },
      stepStart,
      checkpoint("transfer", { digest: "d", verified: [0, 1] }),
      {
        ...stepBase("transfer"),
        type: "step-fail",
        attempt: 1,
        willRetry: true,
        error: {
          kind: "remote",
          message: "reset",
          retryable: true,
          host: "h",
          command: "tar",
          exitCode: null,
        },
      },
      { ...stepBase("transfer"), type: "step-interrupted" },
      checkpoint("reconfigure", { commandsDone: 2 }),
      // A cutover checkpoint written before sub-phases existed (frozenAt only) reads as frozen.
      checkpoint("cutover", { frozenAt: at }),
      ...(["snapshot", "transfer", "reconfigure", "cutover", "verify", "rollback"] as const).map((s) =>
        finish(s),
      ),
      {
        v: 1,
        type: "workload-end",
        runId: "r1",
        at,
        workload: "a",
        status: "succeeded",
        downtimeMs: 5,
        downtimeBudgetMs: 60_000,
        budgetExceeded: false,
      },
      runEnd,
    ];
    const parsed = parseJournal(`${records.map(line).join("\n")}\n`, "/s/p/journal.jsonl");
    expect(parsed.records).toHaveLength(records.length);
    expect(parsed.torn).toBeUndefined();
    const cutover = parsed.records.find((r) => r.type === "step-checkpoint" && r.step === "cutover");
    expect(cutover?.type === "step-checkpoint" && cutover.data).toEqual({ phase: "frozen", frozenAt: at });
  });

  const damaged: [string, Record<string, unknown>, RegExp][] = [
    ["a record without its run id", { ...stepStart, runId: undefined }, /step-start record.*runId/],
    ["a field of the wrong type", { ...stepStart, attempt: "1" }, /step-start record.*attempt/],
    ["a step no migrate has", { ...stepStart, step: "defrost" }, /step-start record.*step/],
    [
      "a workload status no migrate has",
      { v: 1, type: "workload-end", runId: "r1", at, workload: "a", status: "done" },
      /workload-end record.*status/,
    ],
    [
      "outputs missing a field the step's contract promises",
      finish("transfer", { ...OUTPUTS.transfer, bytesSent: undefined }),
      /step-finish record of step transfer.*outputs\.bytesSent/,
    ],
    [
      "outputs of the wrong shape",
      finish("verify", { ...OUTPUTS.verify, checks: [{ name: "x" }] }),
      /step-finish record of step verify.*outputs\.checks\.0\.ok/,
    ],
    [
      "a checkpoint for a step that keeps none",
      checkpoint("snapshot", { files: 3 }),
      /step-checkpoint record of step snapshot.*data/,
    ],
    [
      "a cutover checkpoint in no known phase",
      checkpoint("cutover", { phase: "thawed", frozenAt: at }),
      /step-checkpoint record of step cutover.*data\.phase/,
    ],
    [
      "a transfer checkpoint without its batch digest",
      checkpoint("transfer", { verified: [1] }),
      /step-checkpoint record of step transfer.*data\.digest/,
    ],
    ["a run that ended in no known way", { ...runEnd, status: "paused" }, /run-end record.*status/],
  ];
  for (const [what, bad, message] of damaged) {
    it(`refuses ${what} at file:line, with the journal's exit code and a hint`, () => {
      const error = refusal(journalWith(bad));
      expect(error.kind).toBe("journal");
      expect(exitCodeFor(error.kind)).toBe(ExitCode.locked);
      expect(error.message).toMatch(/^\/s\/p\/journal\.jsonl:2: the journal is damaged: /);
      expect(error.message).toMatch(message);
      expect(error.hint).toMatch(/restore the journal from a backup/);
    });
  }

  it("refuses a damaged record on the last line too: only an incomplete JSON object is torn", () => {
    const text = `${line(runStart)}\n${line({ ...runEnd, status: "paused" })}\n`;
    expect(() => parseJournal(text, "j")).toThrow(/^j:2: the journal is damaged/);
  });

  it("still cuts off a torn tail or a NUL tail after good records", () => {
    const good = `${line(runStart)}\n${line(stepStart)}\n`;
    const torn = parseJournal(`${good}${line(finish("snapshot")).slice(0, 40)}`, "j");
    expect(torn.records).toHaveLength(2);
    expect(torn.torn).toMatchObject({ line: 3, offset: Buffer.byteLength(good) });
    const zeros = parseJournal(`${good}${"\0".repeat(300)}`, "j");
    expect(zeros.records).toHaveLength(2);
    expect(zeros.torn).toMatchObject({ offset: Buffer.byteLength(good) });
  });
});
