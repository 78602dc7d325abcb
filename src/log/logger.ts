/**
 * One structured log per run: `<state dir>/runs/<runId>/log.ndjson` (pino, one JSON object a
 * line, ISO time, level label). Written synchronously so the last lines before a crash or a
 * hard Ctrl-C are on disk. Every entry passes the Scrubber; pino's own `redact` censors the
 * usual secret field names as a second guard.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import pino, { type Logger } from "pino";
import type { LogLevel } from "./levels.ts";
import { REDACTED, type Scrubber } from "./scrub.ts";

export const LOG_FILE = "log.ndjson";
export type { LogLevel } from "./levels.ts";

const REDACT_KEYS = ["key", "passphrase", "password", "token", "secret", "authorization", "privateKey"];
const REDACT_PATHS = [...REDACT_KEYS, ...REDACT_KEYS.map((key) => `*.${key}`)];

export interface FileLoggerOptions {
  /** The log file, or where the lines go instead (a runner's log in the shared state). */
  to: string | LineDestination;
  scrubber: Scrubber;
  level?: LogLevel;
  /** Fields on every line, e.g. { runId, plan }. */
  base?: Record<string, unknown>;
}

/** Takes whole NDJSON lines; `close()` resolves once they are stored. */
export interface LineDestination {
  write(chunk: string): void;
  close(): Promise<void>;
}

export interface FileLogger {
  logger: Logger;
  /** Flush and close the file (or the destination). */
  close(): Promise<void>;
}

export function createFileLogger(options: FileLoggerOptions): FileLogger {
  const { scrubber } = options;
  const destination = typeof options.to === "string" ? fileDestination(options.to) : options.to;
  const logger = pino(
    {
      level: options.level ?? "info",
      base: options.base ?? {},
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      hooks: {
        // Scrub every argument, the message included, before pino serializes it.
        logMethod(args, method) {
          const clean = args.map((arg) => scrubber.value(arg)) as Parameters<typeof method>;
          method.apply(this, clean);
        },
      },
    },
    destination,
  );
  return {
    logger,
    close: () => destination.close(),
  };
}

function fileDestination(file: string): LineDestination {
  mkdirSync(dirname(file), { recursive: true });
  const stream = pino.destination({ dest: file, sync: true, mkdir: true });
  return {
    write: (chunk) => stream.write(chunk),
    async close() {
      stream.flushSync();
      stream.end();
    },
  };
}
