/**
 * The sign-off report as data: a pure fold of journal records and the plan. Markdown and HTML
 * render this model and nothing else, so both documents always say the same thing.
 */
import { type ByteAccounting, byteAccounting, type SeedBytes } from "../engine/accounting.ts";
import type { WorkloadStatus } from "../engine/events.ts";
import type { JournalRecord } from "../engine/journal-record.ts";
import { downtimeBudgetMs as plannedBudgetMs } from "../engine/window.ts";
import type { InventoryFacts } from "../plan/inventory-facts.ts";
import type { Plan } from "../plan/schema.ts";
import type { StepName } from "../steps/names.ts";
import { type CheckResult, checkResults, numberField, stringField } from "./outputs.ts";
import { type BureauReadiness, buildReadiness } from "./readiness.ts";

type StepKey = StepName | "rollback";
type Rec<T extends JournalRecord["type"]> = Extract<JournalRecord, { type: T }>;

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
  const runIds = [...new Set(input.records.map((r) => r.runId))];
  const runs = runIds
    .map((runId) =>
      buildRun(
        runId,
        input.records.filter((r) => r.runId === runId),
        workloadsByName,
        inScope,
        input.seeds ?? new Map(),
      ),
    )
    .filter(
      (run): run is RunReport =>
        run !== undefined && (input.bureau === undefined || run.workloads.length > 0),
    );
  const progress = buildProgress(plan, input.records, input.bureau);
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

function buildRun(
  runId: string,
  all: readonly JournalRecord[],
  plan: Map<string, Plan["workloads"][number]>,
  inScope: (name: string) => boolean,
  seeds: ReadonlyMap<string, SeedBytes>,
): RunReport | undefined {
  const records = all.filter((r) => r.runId === runId);
  const start = records.find((r): r is Rec<"run-start"> => r.type === "run-start");
  if (!start) return undefined;
  const end = records.find((r): r is Rec<"run-end"> => r.type === "run-end");
  const names = [...new Set(records.flatMap((r) => ("workload" in r ? [r.workload] : [])))].filter(inScope);
  const before = all.slice(0, all.indexOf(start));
  const workloads = names.map((name) =>
    buildWorkload(
      name,
      records.filter((r) => "workload" in r && r.workload === name),
      plan.get(name),
      earlierSnapshot(before, name),
      seeds.get(name),
    ),
  );
  return {
    runId,
    command: start.command ?? "apply",
    status: end?.status ?? "incomplete",
    startedAt: start.at,
    ...(end ? { endedAt: end.at } : {}),
    planHash: start.planHash,
    operator: start.operator,
    workloads: workloads.sort(
      (a, b) => a.wave - b.wave || a.bureau.localeCompare(b.bureau) || a.name.localeCompare(b.name),
    ),
    bytesMoved: workloads.reduce((sum, w) => sum + (w.bytes ?? 0), 0),
    systemsMoved: workloads.filter((w) => w.status === "succeeded").length,
    ...(end?.reason !== undefined && workloads.length === 0 ? { stoppedBeforeSteps: end.reason } : {}),
  };
}

/** A resumed run skips a finished snapshot: its manifest digest is in an earlier run's record. */
function earlierSnapshot(
  records: readonly JournalRecord[],
  workload: string,
): Record<string, unknown> | undefined {
  const found = records.findLast(
    (r): r is Rec<"step-finish"> =>
      r.type === "step-finish" && r.workload === workload && r.step === "snapshot",
  );
  return found?.outputs;
}

function buildWorkload(
  name: string,
  records: readonly JournalRecord[],
  planned: Plan["workloads"][number] | undefined,
  priorSnapshot: Record<string, unknown> | undefined,
  seed: SeedBytes | undefined,
): WorkloadReport {
  const steps = new Map<StepKey, StepReport>();
  const outputs = new Map<StepKey, Record<string, unknown>>();
  const failures: FailureReport[] = [];
  let end: Rec<"workload-end"> | undefined;
  for (const r of records) {
    if (r.type === "step-start") {
      const previous = steps.get(r.step);
      steps.set(r.step, {
        step: r.step,
        status: "running",
        attempts: r.attempt,
        startedAt: previous?.startedAt ?? r.at,
      });
    } else if (r.type === "step-finish") {
      const s = steps.get(r.step) ?? { step: r.step, attempts: 1, startedAt: r.at, status: "running" };
      steps.set(r.step, { ...s, status: "finished", endedAt: r.at, durationMs: r.durationMs });
      outputs.set(r.step, r.outputs);
    } else if (r.type === "step-fail") {
      failures.push({
        step: r.step,
        at: r.at,
        kind: r.error.kind,
        message: r.error.message,
        attempt: r.attempt,
        willRetry: r.willRetry,
        ...(r.error.host ? { host: r.error.host } : {}),
        ...(r.error.command ? { command: r.error.command } : {}),
        ...(r.error.hint ? { hint: r.error.hint } : {}),
      });
      const s = steps.get(r.step);
      if (s && !r.willRetry)
        steps.set(r.step, {
          ...s,
          status: "failed",
          endedAt: r.at,
          durationMs: Date.parse(r.at) - Date.parse(s.startedAt),
        });
    } else if (r.type === "step-interrupted") {
      const s = steps.get(r.step);
      if (s)
        steps.set(r.step, {
          ...s,
          status: "interrupted",
          endedAt: r.at,
          durationMs: Date.parse(r.at) - Date.parse(s.startedAt),
        });
    } else if (r.type === "workload-end") {
      end = r;
    }
  }
  const snapshot = outputs.get("snapshot") ?? priorSnapshot;
  const transfer = outputs.get("transfer");
  const verify = outputs.get("verify");
  const verifyStep = steps.get("verify");
  const checks = checkResults(verify);
  const cutover = outputs.get("cutover");
  const finalSync = cutover?.delta as Record<string, unknown> | undefined;
  // The verified digest is the final one (after cutover's last sync); a run that stopped
  // earlier can only show the snapshot's.
  const digest =
    stringField(verify, "manifestDigest") ??
    stringField(cutover, "manifestDigest") ??
    stringField(snapshot, "manifestDigest", "digest");
  const algorithm = stringField(snapshot, "hash", "algorithm") ?? planned?.hash;
  const rollbackStep = steps.get("rollback");
  const rollbackFailure = failures.findLast((f) => f.step === "rollback");
  const downtimeBudgetMs = end?.downtimeBudgetMs ?? (planned ? plannedBudgetMs(planned) : undefined);
  const downtimeMs = end?.downtimeMs;
  const bytes = sum(numberField(transfer, "bytesSent", "bytes"), numberField(finalSync, "bytesSent"));
  const files = sum(numberField(transfer, "filesSent", "files"), numberField(finalSync, "filesSent"));
  const targetDigest =
    stringField(verify, "targetManifestDigest", "targetDigest") ??
    stringField(transfer, "targetDigest", "targetManifestDigest");
  return {
    name,
    bureau: planned?.bureau ?? "(not in plan)",
    kind: planned?.kind ?? "?",
    wave: planned?.wave ?? 0,
    source: planned?.source ?? "?",
    target: planned?.target ?? "?",
    status: end?.status ?? (failures.some((f) => !f.willRetry) ? "failed" : "interrupted"),
    ...(end?.reason ? { reason: end.reason } : {}),
    steps: [...steps.values()].sort((a, b) => a.startedAt.localeCompare(b.startedAt)),
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
      ...(verifyStep?.status === "finished"
        ? { ok: checks.every((c) => c.ok) }
        : verifyStep?.status === "failed"
          ? { ok: false }
          : {}),
      checks,
    },
    ...(downtimeMs !== undefined ? { downtimeMs } : {}),
    ...(stringField(cutover, "frozenAt") ? { frozenAt: stringField(cutover, "frozenAt") } : {}),
    ...(downtimeBudgetMs !== undefined ? { downtimeBudgetMs } : {}),
    ...(downtimeMs !== undefined && downtimeBudgetMs !== undefined
      ? { budgetExceeded: end?.budgetExceeded ?? downtimeMs > downtimeBudgetMs }
      : {}),
    failures,
    ...(rollbackStep
      ? {
          rollback: {
            at: rollbackStep.startedAt,
            ok: rollbackStep.status === "finished",
            ...(rollbackStep.durationMs !== undefined ? { durationMs: rollbackStep.durationMs } : {}),
            ...(rollbackFailure ? { message: rollbackFailure.message } : {}),
          },
        }
      : {}),
  };
}

function sum(...values: (number | undefined)[]): number | undefined {
  const known = values.filter((value): value is number => value !== undefined);
  return known.length === 0 ? undefined : known.reduce((a, b) => a + b, 0);
}

/** Per bureau: planned workloads and how many are on the cloud now (latest status succeeded). */
function buildProgress(
  plan: Plan,
  records: readonly JournalRecord[],
  only: string | undefined,
): BureauProgress[] {
  const latest = new Map<string, { status: WorkloadStatus; runId: string }>();
  for (const r of records) {
    if (r.type === "workload-end") latest.set(r.workload, { status: r.status, runId: r.runId });
    // A rollback finished outside apply's own workload-end still puts traffic back on the source.
    if (r.type === "step-finish" && r.step === "rollback")
      latest.set(r.workload, { status: "rolled-back", runId: r.runId });
  }
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
    const state = latest.get(w.name);
    entry.planned += 1;
    if (state?.status === "succeeded") entry.migrated += 1;
    entry.workloads.push({
      name: w.name,
      status: state?.status ?? "pending",
      ...(state ? { runId: state.runId } : {}),
    });
    bureaus.set(w.bureau, entry);
  }
  return [...bureaus.values()]
    .map((b) => ({ ...b, percent: percentOf(b.migrated, b.planned) }))
    .sort((a, b) => a.bureau.localeCompare(b.bureau));
}
