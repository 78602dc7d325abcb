/**
 * `migrate status`: waves → bureaus → workloads from the journal, read-only and lock-free so it
 * works while apply runs. A workload the journal says is running while no apply holds the lock
 * was cut off by a crash: it is shown as interrupted.
 */

import type { Plan } from "../../plan/schema.ts";
import { formatTime } from "../../plan/time.ts";
import type { StepOutputs } from "../../steps/contracts.ts";
import { STEPS, type StepName } from "../../steps/names.ts";
import { emptyCounts, type WorkloadStatus } from "../events.ts";
import { type ByteAccounting, byteAccounting, type SeedBytes } from "./accounting.ts";
import {
  foldJournal,
  type Readiness,
  type Rehearsal,
  type RunSummary,
  readinessOf,
  type WorkloadSummary,
} from "./journal-fold.ts";
import type { JournalContents } from "./journal-read.ts";
import type { LockHolder } from "./lock.ts";
import { progressText, type StepProgressView } from "./progress-view.ts";
import { formatReplication, type ReplicationStatus, replicationStatus } from "./replication-status.ts";

export const STATUS_VERSION = 1;

export interface WorkloadStatusView {
  name: string;
  status: WorkloadStatus;
  /** The step running now, or the one that failed or was interrupted. */
  step?: StepName | "rollback" | "rehearse";
  stepsDone: number;
  stepsTotal: number;
  reason?: string;
  downtimeMs?: number;
  downtimeBudgetMs?: number;
  budgetExceeded?: boolean;
  /** Outputs of finished steps (manifest digest, bytes, row counts...). */
  outputs: { [S in StepName]?: StepOutputs[S] };
  /** Bytes verified in place on the target, carried by a seed bundle, and sent over the link. */
  bytes: ByteAccounting;
  /** How far the migration got: not started … ready for cutover, rehearsed, cut over, verified. */
  readiness: Readiness;
  /** When a transfer (apply, sync, rehearse) last finished, and how long ago (seconds). */
  lastSyncAt?: string;
  lastSyncAgeS?: number;
  /** The last rehearsal: when, whether verify passed, the projected downtime (or why it failed). */
  rehearsal?: { at: string; ok: boolean; projectedDowntimeMs?: number; message?: string };
  /** When and by whom `migrate finalize` ended the migration for good. */
  finalized?: { at: string; by: string };
  /** Replicated databases: streaming, or caught up at the cutover (with the lag it applied). */
  replication?: ReplicationStatus[];
  /** Shared state: the byte progress a runner last published for the running step. */
  progress?: StepProgressView;
}

export interface StatusView {
  v: typeof STATUS_VERSION;
  plan: string;
  stateDir: string;
  /** The apply (or rollback) running now, from the lock. */
  running?: LockHolder;
  /** The journal's last run as the fold reads it (status --json shows it, operator aside). */
  lastRun?: Omit<RunSummary, "operator">;
  tornRecord?: { line: number };
  waves: Array<{
    wave: number;
    status: "pending" | "running" | "done" | "attention";
    bureaus: Array<{ bureau: string; workloads: WorkloadStatusView[] }>;
  }>;
  counts: Record<WorkloadStatus, number>;
}

function view(
  name: string,
  summary: WorkloadSummary | undefined,
  applyRunning: boolean,
  seed: SeedBytes | undefined,
  now: Date,
): WorkloadStatusView {
  const outputs: WorkloadStatusView["outputs"] = {};
  const show = <S extends StepName>(step: S): void => {
    const state = summary?.steps[step];
    if (state?.state === "finished" && state.outputs && summary?.completed.has(`${name}/${step}`))
      outputs[step] = state.outputs;
  };
  for (const step of STEPS) show(step);
  let status = summary?.status ?? "pending";
  let reason = summary?.reason;
  if (status === "running" && !applyRunning) {
    status = "interrupted";
    reason = `apply stopped during ${summary?.currentStep ?? "a step"} (process gone); run apply again to resume`;
  }
  const result: WorkloadStatusView = {
    name,
    status,
    stepsDone: summary?.completed.size ?? 0,
    stepsTotal: STEPS.length,
    outputs,
    bytes: byteAccounting(outputs, seed),
    readiness: readinessOf(summary),
  };
  if (summary?.lastSyncAt) {
    result.lastSyncAt = summary.lastSyncAt;
    result.lastSyncAgeS = Math.max(0, Math.round((now.getTime() - Date.parse(summary.lastSyncAt)) / 1000));
  }
  if (summary?.rehearsal) result.rehearsal = rehearsalView(summary.rehearsal);
  if (summary?.currentStep && status !== "succeeded" && status !== "pending")
    result.step = summary.currentStep;
  if (reason) result.reason = reason;
  const replication = replicationStatus(outputs);
  if (replication.length > 0) result.replication = replication;
  if (summary?.downtimeMs !== undefined) result.downtimeMs = summary.downtimeMs;
  if (summary?.downtimeBudgetMs !== undefined) result.downtimeBudgetMs = summary.downtimeBudgetMs;
  if (summary?.budgetExceeded !== undefined) result.budgetExceeded = summary.budgetExceeded;
  if (summary?.finalized) result.finalized = { at: summary.finalized.at, by: summary.finalized.by };
  return result;
}

export function buildStatus(
  plan: Plan,
  stateDir: string,
  contents: JournalContents,
  running?: LockHolder,
  seeds: ReadonlyMap<string, SeedBytes> = new Map(),
  now: Date = new Date(),
): StatusView {
  const summary = foldJournal(contents.records);
  const counts = emptyCounts();
  const waves = new Map<number, Map<string, WorkloadStatusView[]>>();
  for (const workload of plan.workloads) {
    const item = view(
      workload.name,
      summary.workloads.get(workload.name),
      running !== undefined,
      seeds.get(workload.name),
      now,
    );
    counts[item.status]++;
    const bureaus = waves.get(workload.wave) ?? new Map<string, WorkloadStatusView[]>();
    bureaus.set(workload.bureau, [...(bureaus.get(workload.bureau) ?? []), item]);
    waves.set(workload.wave, bureaus);
  }
  const last = summary.runs.at(-1);
  const result: StatusView = {
    v: STATUS_VERSION,
    plan: plan.metadata.name,
    stateDir,
    waves: [...waves.entries()]
      .sort(([a], [b]) => a - b)
      .map(([wave, bureaus]) => {
        const all = [...bureaus.values()].flat();
        // A wave is done when every workload is verified, not only ready for cutover.
        const status = all.every((w) => w.status === "succeeded" && w.stepsDone === w.stepsTotal)
          ? "done"
          : all.some((w) => w.status === "running")
            ? "running"
            : all.some((w) => ["failed", "rolled-back", "skipped", "interrupted"].includes(w.status))
              ? "attention"
              : "pending";
        return {
          wave,
          status,
          bureaus: [...bureaus.entries()].map(([bureau, workloads]) => ({ bureau, workloads })),
        };
      }),
    counts,
  };
  if (running) result.running = running;
  if (last) {
    const { operator: _operator, ...run } = last;
    result.lastRun = run;
  }
  if (contents.torn) result.tornRecord = { line: contents.torn.line };
  return result;
}

const MARK: Record<WorkloadStatus, string> = {
  pending: "·",
  running: "▶",
  succeeded: "✓",
  failed: "✗",
  skipped: "-",
  "rolled-back": "↩",
  interrupted: "‖",
};

function seconds(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`;
}

/** An age for people: 45 s, 12 min, 3 h, 2 d. */
export function age(seconds: number): string {
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

/** A duration the way a budget is written: 40 s, 12 m, 2 h. */
export function shortDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 120 * 60) return `${Math.round(s / 60)} m`;
  return `${Math.round(s / 3600)} h`;
}

/** A rehearsal as status shows it: when, whether verify passed, the projection or why it failed. */
export function rehearsalView(rehearsal: Rehearsal): NonNullable<WorkloadStatusView["rehearsal"]> {
  return rehearsal.ok
    ? { at: rehearsal.at, ok: true, projectedDowntimeMs: rehearsal.outputs.projectedDowntimeMs }
    : { at: rehearsal.at, ok: false, message: rehearsal.message };
}

/** "rehearsed 2026-12-03, verify passed, projected downtime 40 s of 45 m". */
export function rehearsalText(
  rehearsal: NonNullable<WorkloadStatusView["rehearsal"]>,
  budgetMs: number | undefined,
  timeZone: string,
): string {
  const day = formatTime(rehearsal.at, timeZone).slice(0, 10);
  if (!rehearsal.ok) return `rehearsed ${day}, verify FAILED: ${rehearsal.message ?? "see the journal"}`;
  const projected = rehearsal.projectedDowntimeMs ?? 0;
  const budget = budgetMs === undefined ? "" : ` of ${shortDuration(budgetMs)}`;
  const over = budgetMs !== undefined && projected > budgetMs ? " (OVER BUDGET)" : "";
  return `rehearsed ${day}, verify passed, projected downtime ${shortDuration(projected)}${budget}${over}`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Plain text for the terminal (no colour: status is often piped or watched with `watch`); times
 * in the plan's zone, while `--json` keeps the journal's ISO UTC.
 */
export function formatStatus(status: StatusView, timeZone = "UTC"): string {
  const lines: string[] = [];
  const last = status.lastRun;
  const state = status.running
    ? `apply running: pid ${status.running.pid} (${status.running.user}@${status.running.host}) since ${formatTime(status.running.startedAt, timeZone)}`
    : last
      ? `last run ${last.runId} (${last.command}) started ${formatTime(last.startedAt, timeZone)}, ${last.status ?? "did not finish"}${last.reason ? `: ${last.reason}` : ""}`
      : "never applied";
  lines.push(`plan ${status.plan} — ${state}`);
  lines.push(`state ${status.stateDir}`);
  if (status.tornRecord)
    lines.push(
      `note: the journal's last record (line ${status.tornRecord.line}) is torn (a crash mid-write); it is ignored`,
    );
  const width = Math.max(
    8,
    ...status.waves.flatMap((w) => w.bureaus.flatMap((b) => b.workloads.map((x) => x.name.length))),
  );
  for (const wave of status.waves) {
    lines.push(`wave ${wave.wave} (${wave.status})`);
    for (const bureau of wave.bureaus) {
      lines.push(`  ${bureau.bureau}`);
      for (const w of bureau.workloads) {
        const parts = [
          `${MARK[w.status]} ${w.name.padEnd(width)}`,
          w.status.padEnd(11),
          `${w.stepsDone}/${w.stepsTotal}`,
        ];
        if (w.step && w.status !== "succeeded") parts.push(`at ${w.step}`);
        if (w.bytes.inPlace + w.bytes.seeded + w.bytes.sent > 0)
          parts.push(
            `${megabytes(w.bytes.sent)} sent, ${megabytes(w.bytes.inPlace)} in place, ${megabytes(w.bytes.seeded)} by seed`,
          );
        parts.push(w.readiness);
        if (w.lastSyncAgeS !== undefined && w.stepsDone < w.stepsTotal)
          parts.push(`synced ${age(w.lastSyncAgeS)} ago`);
        if (w.downtimeMs !== undefined) {
          const budget = w.downtimeBudgetMs === undefined ? "" : ` of ${seconds(w.downtimeBudgetMs)}`;
          parts.push(`downtime ${seconds(w.downtimeMs)}${budget}${w.budgetExceeded ? " (OVER BUDGET)" : ""}`);
        }
        lines.push(`    ${parts.join("  ")}`);
        if (w.progress) lines.push(`      ${progressText(w.progress, timeZone)}`);
        if (w.rehearsal) lines.push(`      ${rehearsalText(w.rehearsal, w.downtimeBudgetMs, timeZone)}`);
        for (const db of w.replication ?? []) lines.push(`      ${formatReplication(db)}`);
        if (w.reason && w.status !== "succeeded") lines.push(`      ${w.reason}`);
        else if (w.budgetExceeded && w.reason) lines.push(`      ${w.reason}`);
        if (w.finalized)
          lines.push(`      finalized ${formatTime(w.finalized.at, timeZone)} by ${w.finalized.by}`);
      }
    }
  }
  const counts = Object.entries(status.counts)
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `${n} ${name}`)
    .join(", ");
  lines.push(`workloads: ${counts || "none"}`);
  return `${lines.join("\n")}\n`;
}
