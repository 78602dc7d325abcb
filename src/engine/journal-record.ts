/**
 * The journal's record shape: one JSON object per line, append-only, fsynced. Shared by the
 * writer (engine), `status`, `plan` (what remains), and the sign-off report.
 * `v` is the record format version.
 */

import type { StepName } from "../steps/names.ts";
import type { WorkloadStatus } from "./events.ts";

/** What every record of one step's attempt carries. */
interface StepRecordHead {
  v: 1;
  runId: string;
  at: string;
  workload: string;
  step: StepName | "rollback";
  /** `${workload}/${step}`: a step whose key has a step-finish record never runs again. */
  key: string;
}

export type JournalRecord =
  | {
      v: 1;
      type: "run-start";
      runId: string;
      at: string;
      planFile: string;
      planName: string;
      planHash: string;
      /** Per-workload hash of the plan inputs its steps depend on, to name what changed on resume. */
      workloadHashes: Record<string, string>;
      /** Per workload, a hash per top-level field (and per referenced host), to say which fields changed. */
      workloadFieldHashes?: Record<string, Record<string, string>>;
      /** `apply` or `rollback`; absent in records written before rollback existed. */
      command?: "apply" | "rollback";
      operator: { user: string; host: string; pid: number; version: string; argv: string[] };
    }
  | (StepRecordHead & {
      type: "step-start";
      attempt: number;
      inputHash: string;
    })
  | (StepRecordHead & {
      type: "step-checkpoint";
      /** Resumable progress, e.g. files already verified on the target. */
      data: Record<string, unknown>;
    })
  | (StepRecordHead & {
      type: "step-finish";
      inputHash: string;
      durationMs: number;
      /** Manifest digest, bytes, files sent, row counts, downtime, rewrite before/after hashes... */
      outputs: Record<string, unknown>;
    })
  | (StepRecordHead & {
      type: "step-fail";
      attempt: number;
      error: {
        kind: string;
        message: string;
        retryable: boolean;
        hint?: string;
        host?: string;
        command?: string;
        exitCode?: number | null;
      };
      willRetry: boolean;
    })
  | (StepRecordHead & { type: "step-interrupted" })
  | {
      v: 1;
      type: "workload-end";
      runId: string;
      at: string;
      workload: string;
      status: WorkloadStatus;
      reason?: string;
      downtimeMs?: number;
      /** The workload's downtimeBudget in ms, and whether the measured downtime went over it. */
      downtimeBudgetMs?: number;
      budgetExceeded?: boolean;
    }
  | {
      v: 1;
      type: "lock-recovered";
      runId: string;
      at: string;
      /** The holder of the stale lock (its process was dead) that this run took over. */
      previous: { pid: number; host: string; user: string; startedAt: string; command: string };
    }
  | {
      v: 1;
      type: "run-end";
      runId: string;
      at: string;
      status: "succeeded" | "failed" | "interrupted";
      /** Why a run failed before any step ran (a host key refused by the trust check). */
      reason?: string;
    };
