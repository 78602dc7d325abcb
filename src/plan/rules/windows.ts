/**
 * Maintenance windows: ISO 8601 with an explicit offset (a cutover time must never depend on the
 * operator's laptop time zone), a real calendar date, and end after start. A window already
 * past, or closing before the cutover could fit, is flagged before apply copies everything and
 * only then refuses the cutover.
 */
import type { Finding } from "../diagnostics.ts";
import { parseDurationMs } from "../duration.ts";
import { error, type Rule, warning } from "./context.ts";

/** ISO 8601 date-time with an explicit offset (also a pattern in the JSON Schema). */
export const WINDOW_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/;
/** Shorter windows rarely fit freeze, final sync, switch and verify. */
export const SHORT_WINDOW_MS = 30 * 60_000;

/** Milliseconds since the epoch, or a reason the text is not an acceptable window time. */
export function parseWindowTime(text: string): number | string {
  const m = WINDOW_TIME.exec(text);
  if (!m) {
    return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)
      ? "has no UTC offset; write it like 2026-12-05T22:00+08:00"
      : "is not an ISO 8601 time like 2026-12-05T22:00+08:00";
  }
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((v) => Number(v ?? 0)) as number[];
  const offset = m[8]!;
  if (month! < 1 || month! > 12) return `has month ${month}`;
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  if (day! < 1 || day! > daysInMonth) return `has day ${day}, but that month has ${daysInMonth} days`;
  if (hour! > 23 || minute! > 59 || second! > 59) return "has an impossible time of day";
  if (offset !== "Z") {
    const [oh, om] = offset.slice(1).split(":").map(Number) as [number, number];
    if (oh > 14 || om > 59) return `has an impossible offset ${offset}`;
  }
  return Date.parse(text);
}

export const windows: Rule = (context) => {
  const out: Finding[] = [];
  context.plan.workloads.forEach((w, i) => {
    if (!w.window) return;
    const start = parseWindowTime(w.window.start);
    const end = parseWindowTime(w.window.end);
    if (typeof start === "string") {
      out.push(
        error(
          "window",
          `window start ${JSON.stringify(w.window.start)} ${start}`,
          context.workloadPath(i, "window", "start"),
        ),
      );
    }
    if (typeof end === "string") {
      out.push(
        error(
          "window",
          `window end ${JSON.stringify(w.window.end)} ${end}`,
          context.workloadPath(i, "window", "end"),
        ),
      );
    }
    if (typeof start !== "number" || typeof end !== "number") return;
    if (end <= start) {
      out.push(
        error(
          "window",
          `window ends (${w.window.end}) before or when it starts (${w.window.start})`,
          context.workloadPath(i, "window", "end"),
        ),
      );
    } else if (end <= context.now) {
      out.push(
        warning(
          "window-closed",
          `the maintenance window closed ${span(context.now - end)} ago (${w.window.end}); apply would copy everything, then refuse the cutover`,
          context.workloadPath(i, "window", "end"),
          "agree a coming maintenance window with the bureau and set window.start and window.end to it",
        ),
      );
    } else if (start <= context.now && end - context.now < cutoverMs(w.downtimeBudget)) {
      const left = end - context.now;
      out.push(
        warning(
          "window-closing",
          `the maintenance window closes in ${span(left)} (${w.window.end}), too little for ${
            w.downtimeBudget === undefined
              ? "a cutover (30 min at least)"
              : `the ${w.downtimeBudget} downtime budget`
          }`,
          context.workloadPath(i, "window", "end"),
          "move the window to a coming slot, or extend window.end if the bureau agrees",
        ),
      );
    } else if (w.downtimeBudget !== undefined && parseDurationMs(w.downtimeBudget) > end - start) {
      out.push(
        warning(
          "budget-exceeds-window",
          `downtime budget ${w.downtimeBudget} is longer than the ${Math.round((end - start) / 60_000)}-minute window`,
          context.workloadPath(i, "downtimeBudget"),
        ),
      );
    } else if (end - start < SHORT_WINDOW_MS) {
      out.push(
        warning(
          "short-window",
          `window of ${Math.round((end - start) / 60_000)} minutes is shorter than 30 minutes`,
          context.workloadPath(i, "window"),
        ),
      );
    }
  });
  return out;
};

/** Time a cutover needs inside its window: the downtime budget, else the shortest useful window. */
function cutoverMs(budget: string | undefined): number {
  return budget === undefined ? SHORT_WINDOW_MS : parseDurationMs(budget);
}

/** "12 min", "5 h", "3 days". */
function span(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.round(hours / 24)} days`;
}

export const timezone: Rule = (context) => {
  const zone = context.plan.defaults.timezone;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return [];
  } catch {
    return [
      error("timezone", `timezone ${JSON.stringify(zone)} is not an IANA time zone like Asia/Shanghai`, [
        "defaults",
        "timezone",
      ]),
    ];
  }
};
