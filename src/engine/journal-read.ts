/**
 * Reading the journal: tolerant of a torn last line (a crash mid-write, or a reader racing the
 * writer), strict about anything else, and folding records into what is done per workload.
 */
import { readFile } from "node:fs/promises";
import { UserError } from "../errors.ts";
import type { StepName, WorkloadStatus } from "./events.ts";
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

/** Parse journal text. A bad last line is reported as `torn`; a bad line before it is an error. */
export function parseJournal(text: string, file = "journal.jsonl"): JournalContents {
  const records: JournalRecord[] = [];
  let offset = 0;
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as string;
    const start = offset;
    offset += Buffer.byteLength(line) + 1;
    if (line.trim() === "") continue;
    const record = parseRecord(line);
    if (record) {
      // A valid last record may lack its newline; the writer adds one before appending.
      records.push(record);
      continue;
    }
    const isLast = lines.slice(index + 1).every((rest) => rest.trim() === "");
    if (isLast) return { records, torn: { line: index + 1, text: line, offset: start } };
    throw new UserError("journal", `${file}:${index + 1}: the journal is corrupt (not a journal record)`, {
      hint: "restore the journal from a backup; migrate never rewrites it, so another program changed it",
    });
  }
  return { records };
}

function parseRecord(line: string): JournalRecord | undefined {
  try {
    const value = JSON.parse(line) as unknown;
    if (value && typeof value === "object" && typeof (value as { type?: unknown }).type === "string") {
      return value as JournalRecord;
    }
  } catch {
    // not JSON: the caller decides between torn tail and corruption
  }
  return undefined;
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
        if (run) Object.assign(run, { endedAt: record.at, status: record.status });
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
