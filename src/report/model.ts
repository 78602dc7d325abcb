/**
 * The sign-off report as data: a pure fold of journal records and the plan. Markdown and HTML
 * render this model and nothing else, so both documents always say the same thing.
 */

import type { WorkloadStatus } from "../engine/events.ts";
import { type ByteAccounting, byteAccounting, type SeedBytes } from "../engine/journal/accounting.ts";
import {
  foldJournal,
  type JournalSummary,
  readinessOf,
  type StepState,
  type WorkloadSummary,
} from "../engine/journal/journal-fold.ts";
import type { JournalRecord, RecordOf } from "../engine/journal/journal-record.ts";
import { downtimeBudgetMs as plannedBudgetMs } from "../engine/planning/window.ts";
import type { InventoryFacts } from "../plan/inventory-facts.ts";
import type { Plan } from "../plan/schema.ts";
import type { RehearseOutput, StepLabel } from "../steps/contracts.ts";
import { type BureauReadiness, buildReadiness } from "./readiness.ts";

type StepKey = StepLabel;

export interface CheckResult {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface StepReport {
  step: StepKey;
  status: "finished" | "failed" | "interrupted" | "running";
  attempts: number;
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
}

export interface FailureReport {
  step: StepKey;
  at: string;
  kind: string;
  message: string;
  attempt: number;
  willRetry: boolean;
  host?: string;
  command?: string;
  /** The error's remedy, when it knows one. */
  hint?: string;
}

export interface WorkloadReport {
  name: string;
  bureau: string;
  kind: string;
  wave: number;
  source: string;
  target: string;
  status: WorkloadStatus;
  reason?: string;
  steps: StepReport[];
  bytes?: number;
  files?: number;
  digest?: { algorithm?: string; value: string };
  targetDigest?: string;
  /** Bytes verified in place on the target, carried by seed bundles, and sent over the link. */
  accounting: ByteAccounting;
  verification: { ran: boolean; ok?: boolean; checks: CheckResult[] };
  downtimeMs?: number;
  /** When the source was frozen (cutover), the start of the downtime. */
  frozenAt?: string;
  downtimeBudgetMs?: number;
  budgetExceeded?: boolean;
  failures: FailureReport[];
  rollback?: { at: string; ok: boolean; durationMs?: number; message?: string };
  /** A rehearsal on the target in this run: its checks, measurements and projected downtime. */
  rehearsal?: {
    at: string;
    ok: boolean;
    checks: CheckResult[];
    projectedDowntimeMs?: number;
    measured?: RehearseOutput["measured"];
    message?: string;
  };
  /** Hooks that ran around the steps, in order (docs/hooks.md). */
  hooks?: HookReport[];
  /** `migrate finalize` ended the migration for good in this run. */
  finalized?: {
    at: string;
    by: string;
    servicesDisabled: string[];
    stagingRemoved: string[];
    /** Replication objects an earlier run left, dropped by finalize. */
    replicationDropped: string[];
  };
}

export interface HookReport {
  /** `${step}/${phase}/${index}`. */
  hook: string;
  host: string;
  run: string;
  at: string;
  ok: boolean;
  mustSucceed: boolean;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  stderrTail: string;
}

export interface RunReport {
  runId: string;
  command: string;
  status: string;
  startedAt: string;
  endedAt?: string;
  planHash: string;
  operator?: { user: string; host: string; pid: number; version: string; argv: string[] };
  workloads: WorkloadReport[];
  bytesMoved: number;
  systemsMoved: number;
  /** Why the run ended before any step (apply's preflight): nothing was changed. */
  stoppedBeforeSteps?: string;
}

export interface BureauProgress {
  bureau: string;
  planned: number;
  migrated: number;
  percent: number;
  /** Latest status of each planned workload across every run. */
  workloads: { name: string; status: WorkloadStatus; runId?: string }[];
}

export interface ReportModel {
  /** `timeZone`: the plan's `defaults.timezone`, in which the report shows every time. */
  plan: { name: string; owner: string; file: string; timeZone: string; description?: string };
  generatedAt: string;
  bureau?: string;
  runs: RunReport[];
  progress: BureauProgress[];
  overall: { planned: number; migrated: number; percent: number };
  /** Domestic-CPU readiness per bureau, when an inventory was given. */
  readiness?: BureauReadiness[];
}

export interface ReportInput {
  plan: Plan;
  planFile: string;
  records: readonly JournalRecord[];
  /** Only this bureau's workloads and progress. */
  bureau?: string;
  now: Date;
  /** `migrate inventory` facts: adds the domestic-CPU readiness table. */
  inventory?: InventoryFacts;
  /** Per workload, what `migrate seed import` carried and re-sent (seed.jsonl). */
  seeds?: ReadonlyMap<string, SeedBytes>;
}

const percentOf = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 1000) / 10);

export function buildReport(input: ReportInput): ReportModel {
  const { plan } = input;
  const workloadsByName = new Map(plan.workloads.map((w) => [w.name, w]));
  const inScope = (name: string) =>
    input.bureau === undefined || workloadsByName.get(name)?.bureau === input.bureau;
  const runs: RunReport[] = [];
  for (const runId of new Set(input.records.map((r) => r.runId))) {
    const run = buildRun(
      input.records.filter((r) => r.runId === runId),
      workloadsByName,
      inScope,
      input.seeds ?? new Map(),
    );
    if (run && (input.bureau === undefined || run.workloads.length > 0)) runs.push(run);
  }
  const progress = buildProgress(plan, foldJournal(input.records), input.bureau);
  const planned = progress.reduce((sum, b) => sum + b.planned, 0);
  const migrated = progress.reduce((sum, b) => sum + b.migrated, 0);
  return {
    plan: {
      name: plan.metadata.name,
      owner: plan.metadata.owner,
      file: input.planFile,
      timeZone: plan.defaults.timezone,
      ...(plan.metadata.description ? { description: plan.metadata.description } : {}),
    },
    generatedAt: input.now.toISOString(),
    ...(input.bureau ? { bureau: input.bureau } : {}),
    runs,
    progress,
    overall: { planned, migrated, percent: percentOf(migrated, planned) },
    ...(input.inventory ? { readiness: buildReadiness(plan, input.inventory, input.bureau) } : {}),
  };
}

/** One run, from its own records folded alone (none without its run-start). */
function buildRun(
  records: readonly JournalRecord[],
  plan: Map<string, Plan["workloads"][number]>,
  inScope: (name: string) => boolean,
  seeds: ReadonlyMap<string, SeedBytes>,
): RunReport | undefined {
  const summary = foldJournal(records);
  const run = summary.runs[0];
  if (!run) return undefined;
  const workloads = [...summary.workloads.values()]
    .filter((w) => inScope(w.name))
    .map((w) => buildWorkload(w, plan.get(w.name), seeds.get(w.name)));
  return {
    runId: run.runId,
    command: run.command,
    status: run.status ?? "incomplete",
    startedAt: run.startedAt,
    ...(run.endedAt ? { endedAt: run.endedAt } : {}),
    planHash: run.planHash,
    operator: run.operator,
    workloads: workloads.sort(
      (a, b) => a.wave - b.wave || a.bureau.localeCompare(b.bureau) || a.name.localeCompare(b.name),
    ),
    bytesMoved: workloads.reduce((sum, w) => sum + (w.bytes ?? 0), 0),
    // A rehearsal, a sync or a stop before the cutover moves no system: only a verified one counts.
    systemsMoved: workloads.filter((w) => w.status === "succeeded" && w.verification.ok === true).length,
    ...(run.reason !== undefined && workloads.length === 0 ? { stoppedBeforeSteps: run.reason } : {}),
  };
}

function stepReport(step: StepKey, state: StepState): StepReport {
  return {
    step,
    status: state.state,
    attempts: state.attempts,
    startedAt: (state.firstStartedAt ?? state.startedAt) as string,
    ...(state.endedAt ? { endedAt: state.endedAt } : {}),
    ...(state.durationMs !== undefined && state.endedAt ? { durationMs: state.durationMs } : {}),
  };
}

function buildWorkload(
  w: WorkloadSummary,
  planned: Plan["workloads"][number] | undefined,
  seed: SeedBytes | undefined,
): WorkloadReport {
  const steps = (Object.entries(w.steps) as [StepKey, StepState][]).map(([step, state]) =>
    stepReport(step, state),
  );
  const failures: FailureReport[] = w.failures.map((f) => ({
    step: f.step,
    at: f.at,
    kind: f.error.kind,
    message: f.error.message,
    attempt: f.attempt,
    willRetry: f.willRetry,
    ...(f.error.host ? { host: f.error.host } : {}),
    ...(f.error.command ? { command: f.error.command } : {}),
    ...(f.error.hint ? { hint: f.error.hint } : {}),
  }));
  const end = w.end;
  const snapshot = w.steps.snapshot?.outputs;
  const transfer = w.steps.transfer?.outputs;
  const cutover = w.steps.cutover?.outputs;
  const verify = w.steps.verify?.outputs;
  const verifyStep = w.steps.verify;
  const checks: CheckResult[] = (verify?.checks ?? []).map((c) => ({
    name: c.name,
    ok: c.ok,
    ...(c.detail ? { detail: c.detail } : {}),
  }));
  // The verified digest is the final one (after cutover's last sync); a run that stopped
  // earlier can only show the snapshot's.
  const digest = verify?.manifestDigest ?? cutover?.manifestDigest ?? snapshot?.manifestDigest;
  const algorithm = snapshot?.hash ?? planned?.hash;
  const rollbackStep = w.steps.rollback;
  const rollbackFailure = failures.findLast((f) => f.step === "rollback");
  const downtimeBudgetMs = end?.downtimeBudgetMs ?? (planned ? plannedBudgetMs(planned) : undefined);
  const downtimeMs = end?.downtimeMs;
  const bytes = sum(transfer?.bytesSent, cutover?.delta.bytesSent);
  const files = sum(transfer?.filesSent, cutover?.delta.filesSent);
  const targetDigest = verify?.targetManifestDigest;
  return {
    name: w.name,
    bureau: planned?.bureau ?? "(not in plan)",
    kind: planned?.kind ?? "?",
    wave: planned?.wave ?? 0,
    source: planned?.source ?? "?",
    target: planned?.target ?? "?",
    status: end?.status ?? (failures.some((f) => !f.willRetry) ? "failed" : "interrupted"),
    ...(end?.reason ? { reason: end.reason } : {}),
    steps: steps.sort((a, b) => a.startedAt.localeCompare(b.startedAt)),
    ...(bytes !== undefined ? { bytes } : {}),
    ...(files !== undefined ? { files } : {}),
    ...(digest ? { digest: { value: digest, ...(algorithm ? { algorithm } : {}) } } : {}),
    ...(targetDigest ? { targetDigest } : {}),
    // A seed bundle is imported before the runs that find it in place: each run shows it.
    accounting: byteAccounting(
      {
        ...(transfer ? { transfer } : {}),
        ...(cutover ? { cutover } : {}),
      },
      seed,
    ),
    verification: {
      ran: verifyStep !== undefined,
      ...(verifyStep?.state === "finished"
        ? { ok: checks.every((c) => c.ok) }
        : verifyStep?.state === "failed"
          ? { ok: false }
          : {}),
      checks,
    },
    ...(downtimeMs !== undefined ? { downtimeMs } : {}),
    ...(cutover?.frozenAt ? { frozenAt: cutover.frozenAt } : {}),
    ...(downtimeBudgetMs !== undefined ? { downtimeBudgetMs } : {}),
    ...(downtimeMs !== undefined && downtimeBudgetMs !== undefined
      ? { budgetExceeded: end?.budgetExceeded ?? downtimeMs > downtimeBudgetMs }
      : {}),
    failures,
    ...(w.hooks.length > 0 ? { hooks: w.hooks.map(hookReport) } : {}),
    ...(w.finalized
      ? {
          finalized: {
            at: w.finalized.at,
            by: w.finalized.by,
            servicesDisabled: w.finalized.servicesDisabled,
            stagingRemoved: w.finalized.stagingRemoved,
            replicationDropped: w.finalized.replicationDropped,
          },
        }
      : {}),
    ...(rollbackStep
      ? {
          rollback: {
            at: (rollbackStep.firstStartedAt ?? rollbackStep.startedAt) as string,
            ok: rollbackStep.state === "finished",
            ...(rollbackStep.durationMs !== undefined && rollbackStep.endedAt
              ? { durationMs: rollbackStep.durationMs }
              : {}),
            ...(rollbackFailure ? { message: rollbackFailure.message } : {}),
          },
        }
      : {}),
    ...(w.rehearsal ? { rehearsal: rehearsalReport(w.rehearsal) } : {}),
  };
}

function rehearsalReport(rehearsal: NonNullable<WorkloadSummary["rehearsal"]>): WorkloadReport["rehearsal"] {
  if (!rehearsal.ok) return { at: rehearsal.at, ok: false, checks: [], message: rehearsal.message };
  const { checks, measured, projectedDowntimeMs } = rehearsal.outputs;
  return { at: rehearsal.at, ok: true, checks, measured, projectedDowntimeMs };
}

function hookReport(h: RecordOf<"hook-end">): HookReport {
  const { hook, host, run, startedAt: at, ok, mustSucceed, exitCode, timedOut, durationMs, stderrTail } = h;
  return { hook, host, run, at, ok, mustSucceed, exitCode, timedOut, durationMs, stderrTail };
}

function sum(...values: (number | undefined)[]): number | undefined {
  const known = values.filter((value): value is number => value !== undefined);
  return known.length === 0 ? undefined : known.reduce((a, b) => a + b, 0);
}

/** Per bureau: planned workloads and how many are on the cloud now (latest status succeeded). */
function buildProgress(plan: Plan, summary: JournalSummary, only: string | undefined): BureauProgress[] {
  const bureaus = new Map<string, BureauProgress>();
  for (const w of plan.workloads) {
    if (only !== undefined && w.bureau !== only) continue;
    const entry = bureaus.get(w.bureau) ?? {
      bureau: w.bureau,
      planned: 0,
      migrated: 0,
      percent: 0,
      workloads: [],
    };
    // A rollback finished outside apply's own workload-end still puts traffic back on the source.
    const state = summary.workloads.get(w.name)?.latest;
    // Rehearsed, synced or ready for cutover is not on the cloud yet: pending until verified.
    const onCloud =
      state?.status === "succeeded" && readinessOf(summary.workloads.get(w.name)) === "verified";
    const status = state?.status === "succeeded" && !onCloud ? "pending" : state?.status;
    entry.planned += 1;
    if (onCloud) entry.migrated += 1;
    entry.workloads.push({
      name: w.name,
      status: status ?? "pending",
      ...(state ? { runId: state.runId } : {}),
    });
    bureaus.set(w.bureau, entry);
  }
  return [...bureaus.values()]
    .map((b) => ({ ...b, percent: percentOf(b.migrated, b.planned) }))
    .sort((a, b) => a.bureau.localeCompare(b.bureau));
}
