/**
 * Maintenance windows and downtime budgets: cutovers only happen inside the workload's window,
 * and the source may stay frozen only as long as its `downtimeBudget`.
 */
import { parseDurationMs } from "../../plan/duration.ts";
import type { Workload } from "../../plan/schema.ts";
import { formatTime, formatWindow } from "../../plan/time.ts";

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
