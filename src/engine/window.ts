/**
 * Maintenance windows and downtime budgets: cutovers only happen inside the workload's window,
 * and the source may stay frozen only as long as its `downtimeBudget`.
 */
import type { Workload } from "../plan/schema.ts";
import { formatTime, formatWindow } from "../plan/time.ts";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** "90s", "15m", "2h", "500ms" → milliseconds. */
export function parseDurationMs(text: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(text);
  if (!match) throw new RangeError(`not a duration: ${text}`);
  return Number(match[1]) * (UNIT_MS[match[2] as string] as number);
}

/** Why a cutover may not start now, or undefined when it may; times in the plan's zone. */
export function windowRefusal(
  workload: Pick<Workload, "window">,
  now: Date,
  timeZone: string,
): string | undefined {
  if (!workload.window) return undefined;
  const start = Date.parse(workload.window.start);
  const end = Date.parse(workload.window.end);
  const at = now.getTime();
  if (at >= start && at < end) return undefined;
  const when = at < start ? "has not opened yet" : "has closed";
  const window = formatWindow(workload.window, timeZone);
  return `cutover refused: the maintenance window ${window} ${when} (now ${formatTime(now, timeZone)}); rerun inside the window or pass --ignore-window`;
}

export function downtimeBudgetMs(workload: Pick<Workload, "downtimeBudget">): number | undefined {
  return workload.downtimeBudget ? parseDurationMs(workload.downtimeBudget) : undefined;
}
