/**
 * The Step seam (Temporal's activity idea): a step gets its planned input (what to do, from
 * the run plan) and a context with everything it may touch — remotes, signal, checkpoint — so
 * the engine decides order, retries and journaling while the step only changes hosts. Steps
 * are idempotent: check what is true, act, record.
 */
import type { Remote } from "../remote/types.ts";
import type { Progress, Throttle } from "../transfer/types.ts";
import type { StepInputs } from "./inputs.ts";
import type { StepName } from "./names.ts";

export interface StepLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface StepContext {
  /** Connected remote for a host named in the plan (pooled, one connection per host). */
  remote(hostName: string): Promise<Remote>;
  signal: AbortSignal;
  log: StepLogger;
  /** Directory for this workload's local artefacts (manifests), inside the state directory. */
  workDir: string;
  /** Outputs journaled by earlier finished steps of this workload, e.g. the snapshot manifest digest. */
  outputsOf(step: StepName): Record<string, unknown> | undefined;
  /** Progress saved by an interrupted earlier attempt of this step, if any. */
  lastCheckpoint: Record<string, unknown> | undefined;
  /** Journal resumable progress (fsynced) so a crash does not repeat finished work. */
  checkpoint(data: Record<string, unknown>): Promise<void>;
  progress(progress: Progress): void;
  throttle: Throttle;
  now(): Date;
  options: { ignoreWindow: boolean };
}

/**
 * How far a started cutover got, from its checkpoint: `none` (nothing changed), `frozen` (the
 * source is stopped, traffic not yet switched), `switched` (traffic reaches the target).
 */
export type CutoverProgress = "none" | "frozen" | "switched";

export interface Step<Input> {
  readonly name: StepName;
  /** Do the step; the returned outputs are journaled with the step's finish record. */
  run(input: Input, context: StepContext): Promise<Record<string, unknown>>;
  /** Undo what run() changed (cutover: traffic back to the source, source services started). */
  undo?(input: Input, context: StepContext): Promise<void>;
  /** For a step that switches traffic: how far the attempt that left `checkpoint` got. */
  progressOf?(checkpoint: Record<string, unknown> | undefined): CutoverProgress;
}

/** The five steps by name, each taking its own input. */
export type StepImplementations = { readonly [K in keyof StepInputs]: Step<StepInputs[K]> };
