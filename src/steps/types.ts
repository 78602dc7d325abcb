/**
 * The Step seam (Temporal's activity idea): a step gets its planned input (what to do, from
 * the run plan) and a context with everything it may touch — remotes, signal, checkpoint — so
 * the engine decides order, retries and journaling while the step only changes hosts. Steps
 * are idempotent: check what is true, act, record.
 */
import type { Remote } from "../remote/types.ts";
import type { Progress, Throttle } from "../transfer/types.ts";
import type { StepCheckpoints, StepOutputs } from "./contracts.ts";
import type { StepInputs } from "./inputs.ts";
import type { StepName } from "./names.ts";

export interface StepLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** One database's replication lag, while its initial copy runs or the cutover waits for it. */
export interface ReplicationLagReport {
  database: string;
  phase: "copy" | "catch-up";
  bytes: number;
  seconds: number | null;
}

/** `C`: the step's checkpoint (steps/contracts.ts). */
export interface StepContext<C = StepCheckpoints[StepName]> {
  /** Connected remote for a host named in the plan (pooled, one connection per host). */
  remote(hostName: string): Promise<Remote>;
  signal: AbortSignal;
  log: StepLogger;
  /** Directory for this workload's local artefacts (manifests), inside the state directory. */
  workDir: string;
  /** Outputs journaled by earlier finished steps of this workload, e.g. the snapshot manifest digest. */
  outputsOf<S extends StepName>(step: S): StepOutputs[S] | undefined;
  /** Progress saved by an interrupted earlier attempt of this step, if any. */
  lastCheckpoint: C | undefined;
  /** Journal resumable progress (fsynced) so a crash does not repeat finished work. */
  checkpoint(data: C): Promise<void>;
  progress(progress: Progress): void;
  /** A replicating database's lag (replication-lag events: NDJSON, live view). */
  lag?(lag: ReplicationLagReport): void;
  throttle: Throttle;
  now(): Date;
  options: { ignoreWindow: boolean; discardTargetWrites?: boolean };
}

/**
 * How far a started cutover got, from its checkpoint: `none` (nothing changed), `frozen` (the
 * source is stopped, traffic not yet switched), `switched` (traffic reaches the target).
 */
export type CutoverProgress = "none" | "frozen" | "switched";

/**
 * A step, typed by its input (steps/inputs.ts) and its contract (STEP_CONTRACTS in
 * steps/contracts.ts): the schemas its journaled outputs and checkpoints are validated against
 * when the journal is read.
 */
export interface Step<S extends StepName = StepName> {
  readonly name: S;
  /** Do the step; the returned outputs are journaled with the step's finish record. */
  run(input: StepInputs[S], context: StepContext<StepCheckpoints[S]>): Promise<StepOutputs[S]>;
  /** Undo what run() changed (cutover: traffic back to the source, source services started). */
  undo?(input: StepInputs[S], context: StepContext<StepCheckpoints[S]>): Promise<void>;
  /** For a step that switches traffic: how far the attempt that left `checkpoint` got. */
  progressOf?(checkpoint: StepCheckpoints[S] | undefined): CutoverProgress;
}

/** The five steps by name, each taking its own input and keeping its own contract. */
export type StepImplementations = { readonly [S in StepName]: Step<S> };
