/**
 * pino's levels and their numbers, in one place for the run log, `migrate logs` and its
 * --level choices. No imports, so the CLI's option table can use it without loading a logger.
 */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LEVEL_NUMBER: Record<LogLevel, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};
