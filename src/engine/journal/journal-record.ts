/**
 * The journal's record shapes, one zod schema per record type, discriminated on `type`; `v` is
 * the record format version. Shared by the writer (the recorder), `status`, `plan` (what
 * remains), resume and the sign-off report. Records are validated against these when read
 * (journal-read.ts); a step's outputs and checkpoints against its contract (steps/contracts.ts).
 */
import { z } from "zod";
import { STEP_CONTRACTS, type StepLabel } from "../../steps/contracts.ts";
import { HOOK_PHASES } from "../../steps/hooks.ts";
import { STEPS } from "../../steps/names.ts";
import { WORKLOAD_STATUSES } from "../events.ts";

/** The only record format this version writes and reads. */
export const RECORD_VERSION = 1;

const envelope = { v: z.literal(RECORD_VERSION), runId: z.string(), at: z.string() };
const LABELS = Object.keys(STEP_CONTRACTS) as StepLabel[];
const stepBase = {
  ...envelope,
  workload: z.string(),
  /** `${workload}/${step}`: a step whose key has a step-finish record never runs again. */
  key: z.string(),
};
const stepEnvelope = { ...stepBase, step: z.enum(LABELS as [StepLabel, ...StepLabel[]]) };

export const Operator = z.object({
  user: z.string(),
  host: z.string(),
  pid: z.number(),
  version: z.string(),
  argv: z.array(z.string()),
});
export type Operator = z.infer<typeof Operator>;

export const RunStartRecord = z.object({
  ...envelope,
  type: z.literal("run-start"),
  planFile: z.string(),
  planName: z.string(),
  planHash: z.string(),
  /** Per-workload hash of the plan inputs its steps depend on, to name what changed on resume. */
  workloadHashes: z.record(z.string(), z.string()),
  /** Per workload, a hash per top-level field (and per referenced host), to say which fields changed. */
  workloadFieldHashes: z.record(z.string(), z.record(z.string(), z.string())).optional(),
  /**
   * The run kind: `apply`, `rollback`, `rehearse`, `sync` (the last two never cut over) or
   * `finalize`; absent in records written before rollback existed.
   */
  command: z.enum(["apply", "rollback", "rehearse", "sync", "finalize", "prepare"]).optional(),
  operator: Operator,
});

export const StepStartRecord = z.object({
  ...stepEnvelope,
  type: z.literal("step-start"),
  attempt: z.number().int().positive(),
  inputHash: z.string(),
});

type Contracts = typeof STEP_CONTRACTS;
/** What a record type adds per step (its contract's schemas in it). */
type StepFields = { [S in StepLabel]: z.ZodRawShape };
/** The variant per step of a record type (what `perStep` builds, which TypeScript cannot see). */
type Variant<T extends string, F extends StepFields> = {
  [S in StepLabel]: z.ZodObject<typeof stepBase & { type: z.ZodLiteral<T>; step: z.ZodLiteral<S> } & F[S]>;
}[StepLabel];

/** A record type with one variant per step, discriminated on `step`. */
function perStep<T extends string, F extends StepFields>(
  type: T,
  fields: (step: StepLabel) => z.ZodRawShape,
) {
  const variants = LABELS.map((step) =>
    z.object({ ...stepBase, type: z.literal(type), step: z.literal(step), ...fields(step) }),
  );
  return z.discriminatedUnion("step", variants as unknown as [Variant<T, F>, ...Variant<T, F>[]]);
}

/** Resumable progress, validated by the step's contract. */
export const StepCheckpointRecord = perStep<
  "step-checkpoint",
  { [S in StepLabel]: { data: Contracts[S]["checkpoint"] } }
>("step-checkpoint", (step) => ({ data: STEP_CONTRACTS[step].checkpoint }));

/** The outputs (digests, bytes, row counts, downtime...), validated by the step's contract. */
export const StepFinishRecord = perStep<
  "step-finish",
  { [S in StepLabel]: { inputHash: z.ZodString; durationMs: z.ZodNumber; outputs: Contracts[S]["outputs"] } }
>("step-finish", (step) => ({
  inputHash: z.string(),
  durationMs: z.number(),
  outputs: STEP_CONTRACTS[step].outputs,
}));

export const StepError = z.object({
  kind: z.string(),
  message: z.string(),
  retryable: z.boolean(),
  hint: z.string().optional(),
  host: z.string().optional(),
  command: z.string().optional(),
  exitCode: z.number().nullable().optional(),
});
export type StepError = z.infer<typeof StepError>;

export const StepFailRecord = z.object({
  ...stepEnvelope,
  type: z.literal("step-fail"),
  attempt: z.number().int().positive(),
  error: StepError,
  willRetry: z.boolean(),
});

export const StepInterruptedRecord = z.object({ ...stepEnvelope, type: z.literal("step-interrupted") });

export const WorkloadEndRecord = z.object({
  ...envelope,
  type: z.literal("workload-end"),
  workload: z.string(),
  status: z.enum(WORKLOAD_STATUSES),
  reason: z.string().optional(),
  downtimeMs: z.number().optional(),
  /** The workload's downtimeBudget in ms, and whether the measured downtime went over it. */
  downtimeBudgetMs: z.number().optional(),
  budgetExceeded: z.boolean().optional(),
});

export const LockHolderRecord = z.object({
  pid: z.number(),
  host: z.string(),
  user: z.string(),
  startedAt: z.string(),
  command: z.string(),
});

export const LockRecoveredRecord = z.object({
  ...envelope,
  type: z.literal("lock-recovered"),
  /** The holder of the stale lock (its process was dead) that this run took over. */
  previous: LockHolderRecord,
});

export const RunEndRecord = z.object({
  ...envelope,
  type: z.literal("run-end"),
  status: z.enum(["succeeded", "failed", "interrupted"]),
  /** Why a run failed before any step ran (a host key refused by the trust check). */
  reason: z.string().optional(),
});

/** One hook around a step (steps/hooks.ts), journaled when it starts and when it ends. */
const hookEnvelope = {
  ...envelope,
  workload: z.string(),
  step: z.enum(STEPS),
  /** `${step}/${phase}/${index}`. */
  hook: z.string(),
  phase: z.enum(HOOK_PHASES),
  host: z.string(),
  run: z.string(),
  mustSucceed: z.boolean(),
};

export const HookStartRecord = z.object({ ...hookEnvelope, type: z.literal("hook-start") });

export const HookEndRecord = z.object({
  ...hookEnvelope,
  type: z.literal("hook-end"),
  startedAt: z.string(),
  ok: z.boolean(),
  exitCode: z.number().nullable(),
  signal: z.string().nullable(),
  timedOut: z.boolean(),
  durationMs: z.number(),
  stderrTail: z.string(),
});

/**
 * `migrate finalize` ended the workload's migration for good (engine/running/finalize.ts): who,
 * and what it cleaned up. Rollback is refused from here on.
 */
export const FinalizeRecord = z.object({
  ...envelope,
  type: z.literal("finalize"),
  workload: z.string(),
  /** user@host of the operator who ran finalize. */
  by: z.string(),
  /** Source services now disabled (stopped, never deleted). */
  servicesDisabled: z.array(z.string()),
  /** Hosts whose staging directory was removed, and the directory. */
  stagingRemoved: z.array(z.string()),
  stagingDir: z.string(),
  /** Replication users and slots dropped (those the journal says were created). */
  replicationDropped: z.array(z.string()),
});

/**
 * `migrate prepare` set a source database server's replication settings durably (and restarted
 * it when asked): engine/running/prepare.ts. Nothing reads it back; it is the audit of the change.
 */
export const PrepareRecord = z.object({
  ...envelope,
  type: z.literal("prepare"),
  workload: z.string(),
  database: z.string(),
  host: z.string(),
  /** setting → value as set (ALTER SYSTEM, or the MariaDB drop-in's lines). */
  settings: z.record(z.string(), z.string()),
  /** The MariaDB drop-in written. */
  file: z.string().optional(),
  /** The running server still used other values after the settings were written. */
  restartNeeded: z.boolean(),
  restarted: z.boolean(),
});

export const JournalRecord = z.discriminatedUnion("type", [
  RunStartRecord,
  StepStartRecord,
  StepCheckpointRecord,
  StepFinishRecord,
  StepFailRecord,
  StepInterruptedRecord,
  WorkloadEndRecord,
  LockRecoveredRecord,
  RunEndRecord,
  HookStartRecord,
  HookEndRecord,
  FinalizeRecord,
  PrepareRecord,
]);
export type JournalRecord = z.infer<typeof JournalRecord>;
export type RecordType = JournalRecord["type"];
export const RECORD_TYPES: ReadonlySet<string> = new Set<RecordType>([
  "run-start",
  "step-start",
  "step-checkpoint",
  "step-finish",
  "step-fail",
  "step-interrupted",
  "workload-end",
  "lock-recovered",
  "run-end",
  "hook-start",
  "hook-end",
  "finalize",
  "prepare",
]);
export type RecordOf<T extends RecordType> = Extract<JournalRecord, { type: T }>;
