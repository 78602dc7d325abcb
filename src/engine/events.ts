/**
 * Typed engine events. The engine reports only through `onEvent`; the ink view, plain lines,
 * NDJSON and GitHub annotations are all fed by these (see src/render). `v` versions the NDJSON
 * schema documented in docs/events.md.
 */
import type { StepOutputs } from "../steps/contracts.ts";
import type { StepName } from "../steps/names.ts";
import type { ReplicationLagReport } from "../steps/types.ts";
import type { Progress } from "../transfer/types.ts";

export type EngineEvent =
  | { type: "run-start"; runId: string; plan: string; planHash: string; workloads: number; at: string }
  | { type: "wave-start"; wave: number; workloads: string[]; at: string }
  | { type: "wave-end"; wave: number; at: string }
  | { type: "step-start"; workload: string; step: StepName; attempt: number; at: string }
  | ({ type: "step-progress"; workload: string; step: StepName; at: string } & Progress)
  | StepEndEvent
  | { type: "step-skip"; workload: string; step: StepName; reason: string; at: string }
  | {
      type: "step-fail";
      workload: string;
      step: StepName;
      kind: string;
      message: string;
      /** What the user can do about it, for errors that know (a user error's remedy). */
      hint?: string;
      retryable: boolean;
      attempt: number;
      willRetry: boolean;
      at: string;
    }
  | ({ type: "replication-lag"; workload: string; step: StepName; at: string } & ReplicationLagReport)
  | { type: "cutover-freeze"; workload: string; at: string }
  | { type: "rollback-start"; workload: string; reason: string; at: string }
  | { type: "rollback-end"; workload: string; ok: boolean; message?: string; at: string }
  | {
      type: "workload-end";
      workload: string;
      status: WorkloadStatus;
      reason?: string;
      downtimeMs?: number;
      /** The workload's downtime budget, and whether the measured downtime went over it. */
      downtimeBudgetMs?: number;
      budgetExceeded?: boolean;
      at: string;
    }
  | {
      /** A rehearsal on the target ended (journaled as pseudo-step "rehearse"). */
      type: "rehearsal-end";
      workload: string;
      ok: boolean;
      durationMs?: number;
      checks?: { name: string; ok: boolean; detail?: string }[];
      /** The cutover's downtime projected from the rehearsal's measurements. */
      projectedDowntimeMs?: number;
      /** Target services started for the rehearsal (stopped again after it). */
      started?: string[];
      message?: string;
      at: string;
    }
  | { type: "log"; level: "info" | "warn" | "error"; message: string; workload?: string; at: string }
  | {
      type: "run-end";
      runId: string;
      status: "succeeded" | "failed" | "interrupted";
      counts: Record<WorkloadStatus, number>;
      at: string;
    };

export const WORKLOAD_STATUSES = [
  "pending",
  "running",
  "succeeded",
  "failed",
  "skipped",
  "rolled-back",
  "interrupted",
] as const;
export type WorkloadStatus = (typeof WORKLOAD_STATUSES)[number];

/** A zero count for every workload status (run-end events, status and the live view's totals). */
export function emptyCounts(): Record<WorkloadStatus, number> {
  return Object.fromEntries(WORKLOAD_STATUSES.map((status) => [status, 0])) as Record<WorkloadStatus, number>;
}

export type OnEvent = (event: EngineEvent) => void;

/** A step's end, with the outputs its contract declares (steps/contracts.ts). */
export type StepEndEvent = {
  [S in StepName]: {
    type: "step-end";
    workload: string;
    step: S;
    durationMs: number;
    outputs: StepOutputs[S];
    at: string;
  };
}[StepName];
