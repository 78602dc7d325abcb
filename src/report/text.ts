/** Small shared wording for both report formats, so Markdown and HTML say the same things. */

import { formatBytes } from "../plan/bytes.ts";
import { formatTime } from "../plan/time.ts";
import { formatDuration } from "../render/format.ts";
import type { RunReport, WorkloadReport } from "./model.ts";

export const dash = "—";

export function bytesText(bytes: number | undefined): string {
  return bytes === undefined ? dash : formatBytes(bytes);
}

export function durationText(ms: number | undefined): string {
  return ms === undefined ? dash : formatDuration(ms);
}

/** "12.4 s of 5 min 00 s (within budget)" */
export function downtimeText(w: WorkloadReport): string {
  if (w.downtimeMs === undefined)
    return w.downtimeBudgetMs === undefined
      ? dash
      : `not measured (budget ${formatDuration(w.downtimeBudgetMs)})`;
  if (w.downtimeBudgetMs === undefined) return `${formatDuration(w.downtimeMs)} (no budget set)`;
  const verdict = w.budgetExceeded ? "OVER BUDGET" : "within budget";
  return `${formatDuration(w.downtimeMs)} of ${formatDuration(w.downtimeBudgetMs)} (${verdict})`;
}

/** One line per distinct remedy of a run's failures: "portal snapshot: add `become: sudo` …". */
export function hintLines(run: RunReport): string[] {
  const lines = run.workloads.flatMap((w) =>
    w.failures.flatMap((f) => (f.hint ? [`${w.name} ${f.step}: ${f.hint}`] : [])),
  );
  return [...new Set(lines)];
}

export function verificationText(w: WorkloadReport): string {
  if (!w.verification.ran) return "not run";
  if (w.verification.ok === undefined) return "incomplete";
  const passed = w.verification.checks.filter((c) => c.ok).length;
  const counts =
    w.verification.checks.length > 0 ? ` (${passed}/${w.verification.checks.length} checks)` : "";
  return `${w.verification.ok ? "passed" : "FAILED"}${counts}`;
}

export function digestText(w: WorkloadReport): string {
  if (!w.digest) return dash;
  const match =
    w.targetDigest === undefined
      ? ""
      : w.targetDigest === w.digest.value
        ? " (target matches)"
        : " (TARGET DIFFERS)";
  const { algorithm, value } = w.digest;
  // Digests from the steps already carry their algorithm ("sha256:…"); older ones may not.
  const prefixed = !algorithm || value.startsWith(`${algorithm}:`) ? value : `${algorithm}:${value}`;
  return `${prefixed}${match}`;
}

/** "2026-12-05 22:00:17 +08:00": a journal time in the plan's zone (the journal keeps UTC). */
export function whenText(iso: string | undefined, timeZone: string): string {
  return iso ? formatTime(iso, timeZone, { precision: "second" }) : dash;
}

/** "2 of 3", or what stopped a run that never reached a step (not a misleading "0 of 0"). */
export function systemsMovedText(run: RunReport): string {
  return run.stoppedBeforeSteps !== undefined
    ? "none: stopped in preflight, before any step; nothing was changed"
    : `${run.systemsMoved} of ${run.workloads.length}`;
}

export function runDuration(run: RunReport): string {
  return run.endedAt ? formatDuration(Date.parse(run.endedAt) - Date.parse(run.startedAt)) : dash;
}

export function operatorText(run: RunReport): string {
  const o = run.operator;
  return o ? `${o.user}@${o.host} (pid ${o.pid}, migrate ${o.version})` : dash;
}

export function commandLine(run: RunReport): string {
  if (!run.operator) return dash;
  const argv = run.operator.argv;
  // The engine records the arguments after the program name.
  return /(^|\/)migrate$/.test(argv[0] ?? "") ? argv.join(" ") : ["migrate", ...argv].join(" ");
}

/** What both formats list about a run under its heading; `code` marks literal text (Markdown backticks). */
export function runFacts(
  run: RunReport,
  timeZone: string,
  code: (text: string) => string = (text) => text,
): [string, string][] {
  return [
    ["Started", whenText(run.startedAt, timeZone)],
    ["Ended", whenText(run.endedAt, timeZone)],
    ["Duration", runDuration(run)],
    ["Run by", operatorText(run)],
    ["Command", code(commandLine(run))],
    ["Plan hash", code(run.planHash)],
    ["Systems moved", systemsMovedText(run)],
    ["Bytes moved", bytesText(run.bytesMoved)],
  ];
}
