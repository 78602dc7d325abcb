/**
 * The log of one apply/rollback run, fed by what the command already has: engine events
 * (`onEvent`), the SSH pool's audit callback (`onCommand`), and step loggers. The file opens at
 * `run-start` (which names the run); anything logged earlier is kept and written first. A
 * runner's log of one workload goes to the shared state instead, from the start.
 */
import { join } from "node:path";
import type { Logger } from "pino";
import type { EngineEvent } from "../engine/events.ts";
import type { CommandAudit } from "../remote/audit.ts";
import type { StepLogger } from "../steps/types.ts";
import {
  createFileLogger,
  type FileLogger,
  type LineDestination,
  LOG_FILE,
  type LogLevel,
} from "./logger.ts";
import type { Scrubber } from "./scrub.ts";

export interface RunLogOptions {
  /** `runDir(root, planName, runId)` from src/engine/journal/state-dir.ts. */
  runDir?(runId: string): string;
  /** A run already started elsewhere whose lines go to `destination`, not to a file. */
  shared?: { runId: string; destination: LineDestination };
  scrubber: Scrubber;
  plan: string;
  level?: LogLevel;
}

type Pending = { level: "info" | "warn" | "error"; fields: Record<string, unknown>; message: string };

export interface RunLog {
  onEvent(event: EngineEvent): void;
  onCommand(audit: CommandAudit): void;
  /** A StepLogger bound to one workload (and step), for StepContext.log. */
  step(workload: string, step?: string): StepLogger;
  /** The log file, once the run has started. */
  readonly file: string | undefined;
  close(): Promise<void>;
}

export function createRunLog(options: RunLogOptions): RunLog {
  let open: FileLogger | undefined;
  let file: string | undefined;
  const pending: Pending[] = [];

  const write = (entry: Pending) => {
    if (!open) {
      pending.push(entry);
      return;
    }
    (open.logger as Logger)[entry.level](entry.fields, entry.message);
  };

  const start = (runId: string) => {
    if (open) return;
    if (options.runDir) file = join(options.runDir(runId), LOG_FILE);
    open = createFileLogger({
      to: options.shared?.destination ?? (file as string),
      scrubber: options.scrubber,
      level: options.level,
      base: { runId, plan: options.plan },
    });
    for (const entry of pending.splice(0)) write(entry);
  };
  if (options.shared) start(options.shared.runId);

  return {
    get file() {
      return file;
    },
    onEvent(event) {
      if (event.type === "run-start") start(event.runId);
      // Progress is many events a second and is summed up by step-end; the log keeps the rest.
      if (event.type === "step-progress") return;
      if (event.type === "log") {
        const { type: _type, at: _at, level, message, ...fields } = event;
        write({ level, fields: { event: "log", ...fields }, message });
        return;
      }
      // runId and plan are already on every line (the logger's base).
      const {
        type,
        at: _at,
        runId: _runId,
        plan: _plan,
        ...fields
      } = event as EngineEvent & { runId?: string; plan?: string };
      const failed =
        event.type === "step-fail" || (event.type === "workload-end" && event.status === "failed");
      write({ level: failed ? "error" : "info", fields: { event: type, ...fields }, message: type });
    },
    onCommand(audit) {
      // Info, not debug: the audit trail of every command is the point of this log.
      write({
        level: "info",
        fields: { event: "remote-command", ...audit },
        message: "remote command",
      });
    },
    step(workload, step) {
      const bound =
        (level: Pending["level"]) =>
        (message: string, fields: Record<string, unknown> = {}) =>
          write({ level, fields: { workload, step, ...fields }, message });
      return { info: bound("info"), warn: bound("warn"), error: bound("error") };
    },
    async close() {
      await open?.close();
    },
  };
}
