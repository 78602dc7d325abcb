import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileJournal } from "../../../../src/engine/journal/journal.ts";
import { parseJournal, readJournal } from "../../../../src/engine/journal/journal-read.ts";
import { journalPath } from "../../../../src/engine/journal/state-dir.ts";
import { UserError } from "../../../../src/errors.ts";
import { tempDir } from "../fixtures.ts";

const runStart = (planName: string, v = 1) =>
  JSON.stringify({
    v,
    type: "run-start",
    runId: "r1",
    at: "2026-11-25T00:00:00.000Z",
    planFile: "plan.yaml",
    planName,
    planHash: "0",
    workloadHashes: {},
    operator: { user: "u", host: "h", pid: 1, version: "0.1.0", argv: [] },
  });
const runEnd = JSON.stringify({
  v: 1,
  type: "run-end",
  runId: "r1",
  at: "2026-11-25T00:00:01.000Z",
  status: "succeeded",
});

function refusal(run: () => unknown): UserError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error("expected the journal to be refused");
}

describe("journal reading: what is refused", () => {
  it("refuses a journal whose run-start names another plan, at file:line", () => {
    const error = refusal(() => parseJournal(`${runStart("other")}\n`, "/s/mine/journal.jsonl"));
    expect(error.kind).toBe("journal");
    expect(error.message).toMatch(/^\/s\/mine\/journal\.jsonl:1: .*"other".*"mine"/);
  });

  it("checks the plan name given explicitly, and the directory name by default", () => {
    expect(parseJournal(`${runStart("mine")}\n`, "/s/mine/journal.jsonl").records).toHaveLength(1);
    expect(() => parseJournal(`${runStart("mine")}\n`, "x.jsonl", "theirs")).toThrow(/x\.jsonl:1: /);
    // A bare file name says nothing about the plan: nothing to compare with.
    expect(parseJournal(`${runStart("any")}\n`).records).toHaveLength(1);
  });

  it("readJournal and FileJournal.open both refuse another plan's journal", async () => {
    const root = tempDir();
    const path = journalPath(root, "mine");
    mkdirSync(join(root, "mine"), { recursive: true });
    writeFileSync(path, `${runStart("other")}\n${runEnd}\n`);
    await expect(readJournal(path)).rejects.toThrow(`${path}:1: `);
    expect(() => FileJournal.open(path)).toThrow(`${path}:1: `);
  });

  it("refuses an unknown record version, even on the last line", () => {
    const error = refusal(() => parseJournal(`${runStart("p")}\n${runEnd.replace('"v":1', '"v":2')}\n`, "j"));
    expect(error.message).toMatch(/^j:2: journal record version 2 /);
    expect(() => parseJournal(`${runStart("p", 2)}\n`, "j")).toThrow(/^j:1: /);
  });

  it("refuses an unknown record type or a non-object record, even on the last line", () => {
    const unknown = JSON.stringify({ v: 1, type: "step-lease", runId: "r1" });
    expect(() => parseJournal(`${runStart("p")}\n${unknown}\n`, "j")).toThrow(
      /^j:2: unknown journal record type "step-lease"/,
    );
    expect(() => parseJournal(`${runStart("p")}\n[1,2]\n`, "j")).toThrow(/^j:2: .*not a journal record/);
    expect(() => parseJournal(`${runStart("p")}\n{"v":1,"type":7}\n`, "j")).toThrow(/^j:2: /);
  });

  it("a last line of binary garbage is corrupt, not torn", () => {
    expect(() => parseJournal(`${runStart("p")}\n\u0001\u0002\u0003\n`, "j")).toThrow(/^j:2: .*corrupt/);
  });

  it("a last line that is an incomplete JSON object is torn", () => {
    const text = `${runStart("p")}\n${runEnd.slice(0, 30)}`;
    const { records, torn } = parseJournal(text, "j");
    expect(records).toHaveLength(1);
    expect(torn).toMatchObject({ line: 2, offset: runStart("p").length + 1 });
  });

  it("a tail of NUL bytes (blocks lost in a power cut) is torn, with or without a record cut in it", () => {
    const whole = `${runStart("p")}\n`;
    const cut = `${runEnd.slice(0, 30)}${"\0".repeat(100)}\0\n\0`;
    const cases = [
      {
        text: `${whole}${"\0".repeat(512)}`,
        records: 1,
        torn: { line: 2, text: "\0".repeat(512), offset: whole.length },
      },
      { text: `${whole}${cut}`, records: 1, torn: { line: 2, text: cut, offset: whole.length } },
      {
        text: `${whole}${runEnd}${"\0".repeat(64)}`,
        records: 2,
        torn: { line: 2, text: "\0".repeat(64), offset: whole.length + runEnd.length },
      },
      // Whitespace before the zeros on their line is not part of any record.
      {
        text: `${whole}  ${"\0".repeat(8)}`,
        records: 1,
        torn: { line: 2, text: "\0".repeat(8), offset: whole.length + 2 },
      },
    ];
    for (const { text, records, torn } of cases) {
      const parsed = parseJournal(text, "j");
      expect(parsed.records).toHaveLength(records);
      expect(parsed.torn).toEqual(torn);
    }
    expect(() => parseJournal(`${whole}\0\0\n${runEnd}\n`, "j")).toThrow(/corrupt/);
  });
});
