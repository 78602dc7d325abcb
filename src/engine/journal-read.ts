/**
 * Reading the journal: tolerant of a torn last line (a crash mid-write, or a reader racing the
 * writer), strict about anything else, and folding records into what is done per workload.
 */
import { readFile } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { UserError } from "../errors.ts";
import type { StepName } from "../steps/names.ts";
import type { WorkloadStatus } from "./events.ts";
import type { JournalRecord } from "./journal-record.ts";
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

const RECORD_TYPES: ReadonlySet<string> = new Set<JournalRecord["type"]>([
  "run-start",
  "step-start",
  "step-checkpoint",
  "step-finish",
  "step-fail",
  "step-interrupted",
  "workload-end",
  "lock-recovered",
  "run-end",
]);

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

function checkRecord(value: unknown, where: string): JournalRecord {
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new UserError("journal", `${where}: the journal is corrupt (not a journal record)`, {
      hint: RESTORE_HINT,
    });
  }
  const { v, type } = value as { v?: unknown; type?: unknown };
  if (v !== 1) {
    throw new UserError(
      "journal",
      `${where}: journal record version ${JSON.stringify(v ?? null)} is not one this migrate can read (only 1)`,
      { hint: "a newer migrate wrote this journal; use that version, or restore the journal from a backup" },
    );
  }
  if (typeof type !== "string" || !RECORD_TYPES.has(type)) {
    throw new UserError("journal", `${where}: unknown journal record type ${JSON.stringify(type ?? null)}`, {
      hint: RESTORE_HINT,
    });
  }
  return value as JournalRecord;
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

export interface StepState {
  state: "running" | "finished" | "failed" | "interrupted";
  attempts: number;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  inputHash?: string;
  runId: string;
  outputs?: Record<string, unknown>;
  error?: { kind: string; message: string; retryable: boolean; hint?: string };
  lastCheckpoint?: Record<string, unknown>;
}

export interface WorkloadSummary {
  name: string;
  status: WorkloadStatus;
  /** The step running now, or the step that failed or was interrupted last. */
  currentStep?: StepName | "rollback";
  reason?: string;
  downtimeMs?: number;
  downtimeBudgetMs?: number;
  budgetExceeded?: boolean;
  steps: Partial<Record<StepName | "rollback", StepState>>;
  /** Keys of steps finished and still valid (a rollback invalidates the workload's earlier steps). */
  completed: Set<string>;
  lastRunId?: string;
  rolledBackAt?: string;
}

export interface JournalSummary {
  runs: Array<{
    runId: string;
    command: string;
    startedAt: string;
    endedAt?: string;
    status?: string;
    /** Why the run failed before any step ran. */
    reason?: string;
    planHash: string;
  }>;
  workloads: Map<string, WorkloadSummary>;
  lastPlanHash?: string;
}

function blank(name: string): WorkloadSummary {
  return { name, status: "pending", steps: {}, completed: new Set() };
}

/**
 * Fold records in order into per-workload state. A finished rollback clears the workload's
 * completed steps and checkpoints: the source served traffic again, so the next apply starts
 * the workload over from a fresh snapshot.
 */
export function summarize(records: readonly JournalRecord[]): JournalSummary {
  const summary: JournalSummary = { runs: [], workloads: new Map() };
  const get = (name: string) => {
    let entry = summary.workloads.get(name);
    if (!entry) {
      entry = blank(name);
      summary.workloads.set(name, entry);
    }
    return entry;
  };
  for (const record of records) {
    switch (record.type) {
      case "run-start":
        summary.runs.push({
          runId: record.runId,
          command: record.command ?? "apply",
          startedAt: record.at,
          planHash: record.planHash,
        });
        summary.lastPlanHash = record.planHash;
        break;
      case "run-end": {
        const run = summary.runs.find((item) => item.runId === record.runId);
        if (run) {
          Object.assign(run, { endedAt: record.at, status: record.status });
          if (record.reason) run.reason = record.reason;
        }
        break;
      }
      case "step-start": {
        const w = get(record.workload);
        const previous = w.steps[record.step];
        w.steps[record.step] = {
          state: "running",
          attempts: record.attempt,
          startedAt: record.at,
          inputHash: record.inputHash,
          runId: record.runId,
          lastCheckpoint: previous?.lastCheckpoint,
        };
        w.status = "running";
        // A rollback keeps pointing at the step that caused it.
        if (record.step !== "rollback" || !w.currentStep) w.currentStep = record.step;
        w.lastRunId = record.runId;
        w.reason = undefined;
        break;
      }
      case "step-checkpoint": {
        const step = get(record.workload).steps[record.step];
        if (step) step.lastCheckpoint = record.data;
        break;
      }
      case "step-finish": {
        const w = get(record.workload);
        const step = w.steps[record.step];
        w.steps[record.step] = {
          ...(step ?? { attempts: 1, runId: record.runId }),
          state: "finished",
          finishedAt: record.at,
          durationMs: record.durationMs,
          inputHash: record.inputHash,
          outputs: record.outputs,
        };
        if (record.step === "rollback") {
          for (const [name, state] of Object.entries(w.steps)) {
            if (name !== "rollback" && state) state.lastCheckpoint = undefined;
          }
          w.completed.clear();
          w.rolledBackAt = record.at;
        } else {
          w.completed.add(record.key);
        }
        break;
      }
      case "step-fail": {
        const step = get(record.workload).steps[record.step];
        if (step) {
          step.error = record.error;
          step.attempts = record.attempt;
          if (!record.willRetry) step.state = "failed";
        }
        break;
      }
      case "step-interrupted": {
        const w = get(record.workload);
        const step = w.steps[record.step];
        if (step) step.state = "interrupted";
        break;
      }
      case "workload-end": {
        const w = get(record.workload);
        w.status = record.status;
        w.reason = record.reason;
        w.lastRunId = record.runId;
        w.downtimeMs = record.downtimeMs;
        w.downtimeBudgetMs = record.downtimeBudgetMs;
        w.budgetExceeded = record.budgetExceeded;
        if (record.status === "succeeded") w.currentStep = undefined;
        break;
      }
      case "lock-recovered":
        break;
    }
  }
  return summary;
}

/** Keys (`${workload}/${step}`) of steps finished and still valid: `plan` and `apply` skip them. */
export async function readCompletedSteps(stateDir: string, planName: string): Promise<Set<string>> {
  const { records } = await readJournal(journalPath(stateDir, planName));
  const completed = new Set<string>();
  for (const workload of summarize(records).workloads.values()) {
    for (const key of workload.completed) completed.add(key);
  }
  return completed;
}
