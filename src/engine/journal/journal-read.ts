/**
 * Reading the journal: tolerant of a torn last line (a crash mid-write, or a reader racing the
 * writer), strict about anything else: every record is validated against its schema
 * (journal-record.ts), a step's outputs and checkpoints against the step's contract.
 */
import { readFile } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { UserError } from "../../errors.ts";
import { completedSteps, foldJournal } from "./journal-fold.ts";
import { JournalRecord, RECORD_TYPES, RECORD_VERSION } from "./journal-record.ts";
import { journalPath } from "./state-dir.ts";

export interface TornTail {
  /** 1-based line number of the torn record. */
  line: number;
  text: string;
  /** Byte offset where the torn record starts: the writer truncates the file back to here. */
  offset: number;
}

export interface JournalContents {
  records: JournalRecord[];
  torn?: TornTail;
}

const RESTORE_HINT =
  "restore the journal from a backup; migrate never rewrites it, so another program changed it";

/**
 * The plan a journal file belongs to: journals live at `<root>/<plan name>/journal.jsonl`
 * (state-dir.ts), so every reader that opened one for a plan checks the same thing here.
 */
function planOfJournalFile(file: string): string | undefined {
  if (basename(file) !== "journal.jsonl") return undefined;
  const dir = dirname(file);
  return dir === "." ? undefined : basename(dir);
}

/**
 * Parse journal text. Only a last line that is an incomplete JSON object is `torn` (a crash
 * mid-write); anything else that is not a record this version wrote is refused at file:line, as
 * is a journal whose run-start names another plan than `planName` (by default the plan the
 * journal's directory is named after).
 */
export function parseJournal(
  text: string,
  file = "journal.jsonl",
  planName: string | undefined = planOfJournalFile(file),
): JournalContents {
  // XFS and ext4 after a power loss can show a grown file whose last blocks read as NUL bytes:
  // the records written there never reached the disk, so that tail is torn like a cut line.
  const zeros = /\0[\0\s]*$/.exec(text);
  if (zeros) {
    const lineStart = text.lastIndexOf("\n", zeros.index) + 1;
    const before = text.slice(lineStart, zeros.index);
    const cut = before.trim() === "" || parseLine(before) !== undefined ? zeros.index : lineStart;
    const contents = parseJournal(text.slice(0, cut), file, planName);
    if (contents.torn) return contents;
    return {
      records: contents.records,
      torn: {
        line: text.slice(0, cut).split("\n").length,
        text: text.slice(cut),
        offset: Buffer.byteLength(text.slice(0, cut)),
      },
    };
  }
  const records: JournalRecord[] = [];
  let offset = 0;
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as string;
    const start = offset;
    offset += Buffer.byteLength(line) + 1;
    if (line.trim() === "") continue;
    const where = `${file}:${index + 1}`;
    const parsed = parseLine(line);
    if (parsed === undefined) {
      const isLast = lines.slice(index + 1).every((rest) => rest.trim() === "");
      // A crash mid-write leaves the start of a JSON object; anything else came from elsewhere.
      if (isLast && line.trimStart().startsWith("{")) {
        return { records, torn: { line: index + 1, text: line, offset: start } };
      }
      throw new UserError("journal", `${where}: the journal is corrupt (not a journal record)`, {
        hint: RESTORE_HINT,
      });
    }
    const record = checkRecord(parsed, where);
    if (record.type === "run-start" && planName !== undefined && record.planName !== planName) {
      throw new UserError(
        "journal",
        `${where}: this journal belongs to plan ${JSON.stringify(record.planName)}, not ${JSON.stringify(planName)}`,
        {
          hint: "the journal was copied from another plan's state directory; move it back or pass the right --state-dir",
        },
      );
    }
    // A valid last record may lack its newline; the writer adds one before appending.
    records.push(record);
  }
  return { records };
}

/** JSON.parse, or undefined when the line is not JSON at all. */
function parseLine(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}

/** One record as the journal holds it, checked against its schema; `where` names its place. */
export function checkRecord(value: unknown, where: string): JournalRecord {
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new UserError("journal", `${where}: the journal is corrupt (not a journal record)`, {
      hint: RESTORE_HINT,
    });
  }
  const { v, type } = value as { v?: unknown; type?: unknown };
  if (v !== RECORD_VERSION) {
    throw new UserError(
      "journal",
      `${where}: journal record version ${JSON.stringify(v ?? null)} is not one this migrate can read (only ${RECORD_VERSION})`,
      { hint: "a newer migrate wrote this journal; use that version, or restore the journal from a backup" },
    );
  }
  if (typeof type !== "string" || !RECORD_TYPES.has(type)) {
    throw new UserError("journal", `${where}: unknown journal record type ${JSON.stringify(type ?? null)}`, {
      hint: RESTORE_HINT,
    });
  }
  const parsed = JournalRecord.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.length ? `${issue.path.join(".")}: ` : "";
  const step = "step" in value && typeof value.step === "string" ? ` of step ${value.step}` : "";
  throw new UserError(
    "journal",
    `${where}: the journal is damaged: the ${type} record${step} is not valid (${path}${issue?.message ?? "invalid"})`,
    { hint: RESTORE_HINT },
  );
}

/** Read a journal file; a missing file is an empty journal. */
export async function readJournal(path: string): Promise<JournalContents> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { records: [] };
    throw error;
  }
  return parseJournal(text, path);
}

/** Keys (`${workload}/${step}`) of steps finished and still valid: `plan` and `apply` skip them. */
export async function readCompletedSteps(stateDir: string, planName: string): Promise<Set<string>> {
  const { records } = await readJournal(journalPath(stateDir, planName));
  return completedSteps(foldJournal(records));
}
