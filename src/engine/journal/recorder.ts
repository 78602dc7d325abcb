/**
 * Each fact of a run is recorded once: `record(fact)` appends the journal record, waits until it
 * is durable, then emits the engine event derived from it, so the journal and what the operator
 * sees can never say different things. Events that are no journal fact (progress, logs, waves,
 * the freeze and rollback announcements) go through `emit`.
 */

import type { Clock } from "../clock.ts";
import {
  type EngineEvent,
  emptyCounts,
  type OnEvent,
  type StepEndEvent,
  type WorkloadStatus,
} from "../events.ts";
import type { Journal } from "./journal.ts";
import { type JournalRecord, RECORD_VERSION, type RecordOf, type RecordType } from "./journal-record.ts";

type Envelope = "v" | "runId" | "at";
type FactOf<T extends RecordType> = T extends RecordType
  ? Omit<RecordOf<T>, Envelope> & { at?: string }
  : never;

/**
 * A record without its envelope (`at` defaults to now), plus what only its event carries: how
 * many workloads the run selected, and the run's final counts.
 */
export type Fact =
  | (FactOf<"run-start"> & { workloads: number })
  | FactOf<"step-start" | "step-checkpoint" | "step-finish" | "step-fail" | "step-interrupted">
  | FactOf<"workload-end" | "lock-recovered">
  | FactOf<"hook-start" | "hook-end" | "finalize" | "prepare">
  | (FactOf<"run-end"> & { counts: Record<WorkloadStatus, number> });

export interface Recorder {
  readonly runId: string;
  /** Append the fact's record; once it is durable, emit the event derived from it (if any). */
  record(fact: Fact): Promise<void>;
  /** An event that is not a journal fact. */
  emit: OnEvent;
  now(): string;
}

/**
 * The event a record stands for, or undefined for records only the journal keeps (checkpoints,
 * interruptions, a recovered lock, and everything about the rollback pseudo-step, which has
 * its own rollback-start/-end events). The rehearse pseudo-step's end is a `rehearsal-end`.
 */
export function eventOf(record: JournalRecord, fact: Fact): EngineEvent | undefined {
  const { at } = record;
  switch (record.type) {
    case "run-start":
      return {
        type: "run-start",
        runId: record.runId,
        plan: record.planName,
        planHash: record.planHash,
        workloads: "workloads" in fact ? fact.workloads : 0,
        at,
      };
    case "run-end":
      return {
        type: "run-end",
        runId: record.runId,
        status: record.status,
        counts: "counts" in fact ? fact.counts : emptyCounts(),
        at,
      };
    case "workload-end": {
      const { v: _v, runId: _runId, type, ...rest } = record;
      return { type, ...rest };
    }
    case "step-start": {
      const { workload, step, attempt } = record;
      if (step === "rollback" || step === "rehearse") return undefined;
      return { type: "step-start", workload, step, attempt, at };
    }
    case "step-finish": {
      const { workload, step, durationMs, outputs } = record;
      if (step === "rollback") return undefined;
      if (record.step === "rehearse") {
        const { checks, projectedDowntimeMs, started } = record.outputs;
        return {
          type: "rehearsal-end",
          workload,
          ok: true,
          durationMs,
          checks,
          projectedDowntimeMs,
          started,
          at,
        };
      }
      // The record's schema ties its outputs to its step (journal-record.ts), as the event does.
      return { type: "step-end", workload, step, durationMs, outputs, at } as StepEndEvent;
    }
    case "step-fail": {
      if (record.step === "rollback") return undefined;
      if (record.step === "rehearse") {
        if (record.willRetry) return undefined;
        const { workload, error } = record;
        return { type: "rehearsal-end", workload, ok: false, message: error.message, at };
      }
      const { kind, message, retryable, hint } = record.error;
      const { workload, step, attempt, willRetry } = record;
      return {
        type: "step-fail",
        workload,
        step,
        kind,
        message,
        ...(hint ? { hint } : {}),
        retryable,
        attempt,
        willRetry,
        at,
      };
    }
    default:
      return undefined;
  }
}

/** The fact as its journal record: the envelope added, the event-only fields left out. */
function recordOf(fact: Fact, runId: string, at: string): JournalRecord {
  const { workloads: _w, counts: _c, ...rest } = fact as Fact & { workloads?: unknown; counts?: unknown };
  return { ...rest, v: RECORD_VERSION, runId, at: fact.at ?? at } as JournalRecord;
}

export function createRecorder(journal: Journal, onEvent: OnEvent, runId: string, clock: Clock): Recorder {
  const now = () => clock.now().toISOString();
  return {
    runId,
    now,
    emit: onEvent,
    async record(fact) {
      const record = recordOf(fact, runId, now());
      await journal.append(record);
      const event = eventOf(record, fact);
      if (event) onEvent(event);
    },
  };
}
