import type { EngineEvent } from "../engine/events.ts";
import type { Diagnostic } from "../plan/diagnostics.ts";
import type { WorkloadInfo } from "./run-state.ts";

export type OutputMode = "auto" | "plain" | "json" | "github";

export interface RendererOptions {
  mode: OutputMode;
  /** Data stream (NDJSON in json mode). Default process.stdout. */
  stdout?: NodeJS.WriteStream;
  /** Progress stream: the live view and plain lines go here. Default process.stderr. */
  stderr?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  /** Whether stderr is a terminal; default stderr.isTTY. `auto` shows the live view only then. */
  isTTY?: boolean;
  /** Default: NO_COLOR set (or TERM=dumb) in the environment. */
  noColor?: boolean;
  /** Plan workloads (bureau, wave, downtime budget): events name workloads, the plan groups them. */
  workloads?: WorkloadInfo[];
  /** IANA zone of the times shown (the plan's `defaults.timezone`); default UTC. */
  timeZone?: string;
  /** Heading of the live view, e.g. "apply henan-finance". */
  title?: string;
  /**
   * A key the live view read in raw mode (where the terminal sends no SIGINT): `q` asks for a
   * graceful stop, Ctrl-C interrupts. The command session decides what follows (src/cli).
   */
  onInterrupt?: (request: InterruptRequest) => void;
  /** Shown after an interrupt, e.g. "migrate apply plans/x.yaml --yes". */
  resumeCommand?: string;
}

/** `stop` (q) never escalates; `interrupt` (Ctrl-C) does when a stop was already asked for. */
export type InterruptRequest = "stop" | "interrupt";

export interface RunSummary {
  /** One closing sentence, e.g. where the report is or what to run next. */
  message?: string;
}

export interface Renderer {
  onEvent(event: EngineEvent): void;
  diagnostics(list: readonly Diagnostic[]): void;
  /** Print totals (or the final frame) and release the terminal. */
  done(summary?: RunSummary): Promise<void>;
  /** Say that a graceful stop was asked for and how to resume. */
  stopping(): void;
  /** Release the terminal at once, before the command exits without waiting for the run. */
  abort(): void;
  /** Release the terminal without totals (idempotent). */
  close(): Promise<void>;
}

export const ABORT_HINT = "press Ctrl-C again to abort at once";

export const STOPPING = "stopping… in-flight steps are being journaled";

export function stoppingMessage(resumeCommand: string | undefined): string {
  const resume = resumeCommand ? `; resume with: ${resumeCommand}` : "";
  return `${STOPPING}${resume}`;
}
