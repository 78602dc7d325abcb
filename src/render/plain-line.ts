/**
 * One line of text per engine event, for logs, CI and pipes. Stable, grep-friendly:
 * `HH:MM:SS +08:00 workload step: detail`, the clock in the plan's time zone.
 */
import type { EngineEvent } from "../engine/events.ts";
import { formatBytes } from "../plan/bytes.ts";
import { formatTime } from "../plan/time.ts";
import type { Palette } from "./colour.ts";
import { formatDuration, formatTransfer } from "./format.ts";

/** The text of one event, without time stamp; `undefined` for events that carry no news. */
export function describeEvent(event: EngineEvent, c: Palette): string {
  switch (event.type) {
    case "run-start":
      return `${c.bold("run")} ${event.runId} started: plan ${event.plan}, ${event.workloads} workload(s)`;
    case "wave-start":
      return `${c.bold(`wave ${event.wave}`)} started: ${event.workloads.join(", ") || "(nothing to do)"}`;
    case "wave-end":
      return `${c.bold(`wave ${event.wave}`)} finished`;
    case "step-start":
      return `${event.workload} ${event.step}: started${event.attempt > 1 ? ` (attempt ${event.attempt})` : ""}`;
    case "step-progress":
      return `${event.workload} ${event.step}: ${formatTransfer(event)} (${event.filesDone}/${event.filesTotal} files)`;
    case "step-end":
      return `${event.workload} ${event.step}: ${c.green("done")} in ${formatDuration(event.durationMs)}`;
    case "step-skip":
      return `${event.workload} ${event.step}: skipped (${event.reason})`;
    case "step-fail": {
      const next = event.willRetry ? c.yellow("will retry") : c.red("failed");
      return `${event.workload} ${event.step}: ${next} [${event.kind}] ${event.message}`;
    }
    case "replication-lag": {
      const seconds = event.seconds === null ? "" : `, ${event.seconds.toFixed(1)} s`;
      return `${event.workload} ${event.step}: ${event.database} replication ${event.phase}, lag ${formatBytes(event.bytes)}${seconds}`;
    }
    case "cutover-freeze":
      return `${event.workload} cutover: ${c.yellow("source frozen")}, downtime clock running`;
    case "rollback-start":
      return `${event.workload} rollback: ${c.yellow("started")} (${event.reason})`;
    case "rollback-end":
      return `${event.workload} rollback: ${event.ok ? c.green("done") : c.red(`FAILED ${event.message ?? ""}`.trim())}`;
    case "rehearsal-end": {
      if (!event.ok) return `${event.workload} rehearsal: ${c.red("failed")} ${event.message ?? ""}`.trim();
      const projected =
        event.projectedDowntimeMs === undefined
          ? ""
          : `, projected downtime ${formatDuration(event.projectedDowntimeMs)}`;
      return `${event.workload} rehearsal: ${c.green("verify passed")} on the target${projected}`;
    }
    case "workload-end": {
      const status = event.status === "succeeded" ? c.green(event.status) : c.red(event.status);
      const downtime = event.downtimeMs !== undefined ? `, downtime ${formatDuration(event.downtimeMs)}` : "";
      const reason = event.reason ? `: ${event.reason}` : "";
      return `${event.workload}: ${status}${downtime}${reason}`;
    }
    case "log": {
      const level =
        event.level === "error" ? c.red("error") : event.level === "warn" ? c.yellow("warn") : "info";
      return `${level}${event.workload ? ` ${event.workload}` : ""}: ${event.message}`;
    }
    case "run-end": {
      const counts = Object.entries(event.counts)
        .filter(([, n]) => n > 0)
        .map(([status, n]) => `${n} ${status}`)
        .join(", ");
      const status = event.status === "succeeded" ? c.green(event.status) : c.red(event.status);
      return `${c.bold("run")} ${event.runId} ${status}${counts ? `: ${counts}` : ""}`;
    }
  }
}

/**
 * The run-start line carries the date; the others only the clock (a run rarely spans days). A
 * failure that is final and whose error knows a remedy gets it on a line of its own, with the
 * same prefix, so `grep hint:` finds every remedy of a run.
 */
export function formatEventLine(event: EngineEvent, c: Palette, timeZone: string): string {
  const at = c.dim(formatTime(event.at, timeZone, { precision: "second", date: event.type === "run-start" }));
  const line = `${at} ${describeEvent(event, c)}`;
  if (event.type !== "step-fail" || event.willRetry || !event.hint) return line;
  return `${line}\n${at} ${event.workload} ${event.step}: ${c.yellow("hint:")} ${event.hint}`;
}

/** Closing line: "totals: 3/4 succeeded, 1 failed; 2.0 GiB moved". */
export function formatTotalsLine(
  totals: { planned: number; counts: Record<string, number>; bytesMoved: number },
  c: Palette,
): string {
  const others = Object.entries(totals.counts)
    .filter(([status, n]) => n > 0 && status !== "succeeded")
    .map(([status, n]) => `${n} ${status}`);
  const done = `${totals.counts.succeeded ?? 0}/${totals.planned} succeeded`;
  return `${c.bold("totals:")} ${[done, ...others].join(", ")}; ${formatBytes(totals.bytesMoved)} moved`;
}
