/**
 * `migrate logs`: the run log as aligned, readable lines, without pino-pretty.
 * `2026-12-05 22:02:11.532 +08:00  INFO  fin-app-01  remote command  exit 0  120 ms  in 1.2 KiB out 0 B`
 * (times in the plan's zone; the file itself keeps ISO UTC).
 */

import { formatBytes } from "../plan/bytes.ts";
import { formatTime } from "../plan/time.ts";
import type { Palette } from "../render/colour.ts";
import { formatDuration } from "../render/format.ts";
import { LEVEL_NUMBER, LOG_LEVELS, type LogLevel } from "./levels.ts";

const SHOWN = new Set([
  "time",
  "level",
  "msg",
  "runId",
  "plan",
  "event",
  "host",
  "workload",
  "step",
  "command",
]);
const AUDIT = new Set(["exitCode", "durationMs", "bytesIn", "bytesOut", "signal", "timedOut", "canceled"]);

function levelText(level: unknown, c: Palette): string {
  const label =
    typeof level === "number"
      ? (LOG_LEVELS.find((name) => LEVEL_NUMBER[name] === level) ?? String(level))
      : String(level);
  const text = label.toUpperCase().padEnd(5);
  if (label === "error" || label === "fatal") return c.red(text);
  if (label === "warn") return c.yellow(text);
  return label === "info" ? c.green(text) : c.dim(text);
}

function timeText(time: unknown, timeZone: string): string {
  if (typeof time === "string" || typeof time === "number")
    return formatTime(time, timeZone, { precision: "millisecond" });
  return "--:--:--.---";
}

function value(v: unknown): string {
  return typeof v === "string" ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v);
}

/** One log entry (a parsed line) as text; the rest of its fields as key=value. */
export function formatLogEntry(entry: Record<string, unknown>, c: Palette, timeZone = "UTC"): string {
  const parts = [c.dim(timeText(entry.time, timeZone)), levelText(entry.level, c)];
  const where = [entry.host, entry.workload, entry.step].filter((item) => typeof item === "string").join(" ");
  if (where) parts.push(c.cyan(where));
  parts.push(String(entry.msg ?? entry.event ?? ""));
  if (entry.event === "remote-command") {
    const exit =
      entry.exitCode === 0 ? c.green("exit 0") : c.red(`exit ${entry.exitCode ?? entry.signal ?? "?"}`);
    parts.push(exit, formatDuration(Number(entry.durationMs ?? 0)));
    parts.push(
      `in ${formatBytes(Number(entry.bytesIn ?? 0))} out ${formatBytes(Number(entry.bytesOut ?? 0))}`,
    );
    if (entry.timedOut) parts.push(c.red("timed out"));
    if (entry.canceled) parts.push(c.yellow("canceled"));
  }
  const rest = Object.entries(entry)
    .filter(([key, v]) => !SHOWN.has(key) && !AUDIT.has(key) && v !== undefined)
    .map(([key, v]) => `${key}=${value(v)}`);
  if (rest.length > 0) parts.push(c.dim(rest.join(" ")));
  if (typeof entry.command === "string") parts.push(`\n    $ ${entry.command}`);
  return parts.join("  ");
}

export interface LogFilter {
  /** The least severe level shown. */
  level?: LogLevel;
  workload?: string;
  /** IANA zone the times are shown in (the plan's `defaults.timezone`); default UTC. */
  timeZone?: string;
}

/** Run logs carry the level's label; pino's default numbers are understood too. */
function severity(level: unknown): number {
  return typeof level === "number" ? level : (LEVEL_NUMBER[level as LogLevel] ?? 0);
}

function kept(entry: Record<string, unknown>, filter: LogFilter): boolean {
  if (filter.level && severity(entry.level) < LEVEL_NUMBER[filter.level]) return false;
  return filter.workload === undefined || entry.workload === filter.workload;
}

/**
 * Format a whole log file's text, keeping the entries the filter selects; lines that are not
 * JSON are passed through unchanged (whatever the filter: they may be why the log is odd).
 */
export function formatLog(
  text: string,
  c: Palette,
  filter: LogFilter = {},
  /** Keep the kept entries' JSON lines as they are (`migrate logs --output json`). */
  asJson = false,
): string {
  const lines: string[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      lines.push(line);
      continue;
    }
    if (kept(entry, filter)) lines.push(asJson ? line : formatLogEntry(entry, c, filter.timeZone));
  }
  return lines.join("\n");
}
