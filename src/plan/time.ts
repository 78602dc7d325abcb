/**
 * Times for people: every time `migrate` shows (plan text, window messages, plain lines, logs,
 * status, reports) is written in the plan's `defaults.timezone` with its UTC offset, e.g.
 * `2026-12-05 22:00 +08:00`, so an operator in Beijing never converts from UTC at 2 a.m. Machine
 * formats (NDJSON events, the journal, JSON outputs) keep ISO 8601 UTC. It lives on the plan
 * floor because the zone is a plan setting and every floor above shows times.
 */

export type TimePrecision = "minute" | "second" | "millisecond";

export interface TimeFormat {
  /** Default "minute". */
  precision?: TimePrecision;
  /** Leave the date out ("22:00:05 +08:00"), for lines already under a dated heading. */
  date?: boolean;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      timeZoneName: "longOffset",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** "GMT+08:00" → "+08:00"; "GMT" (UTC itself) → "+00:00". */
function offsetText(name: string): string {
  const match = /^GMT([+-]\d{2}):?(\d{2})?$/.exec(name);
  return match ? `${match[1]}:${match[2] ?? "00"}` : "+00:00";
}

function toDate(at: string | number | Date): Date {
  return at instanceof Date ? at : new Date(at);
}

/**
 * `2026-12-05 22:00 +08:00` (or with seconds / milliseconds, or without the date) in `timeZone`.
 * A value that is not a time is returned as given, so a torn log line still shows something.
 */
export function formatTime(at: string | number | Date, timeZone: string, options: TimeFormat = {}): string {
  const date = toDate(at);
  if (Number.isNaN(date.getTime())) return String(at);
  const parts: Record<string, string> = {};
  for (const part of formatter(timeZone).formatToParts(date)) parts[part.type] = part.value;
  const precision = options.precision ?? "minute";
  let clock = `${parts.hour}:${parts.minute}`;
  if (precision !== "minute") clock += `:${parts.second}`;
  if (precision === "millisecond") clock += `.${String(date.getUTCMilliseconds()).padStart(3, "0")}`;
  const day = options.date === false ? "" : `${parts.year}-${parts.month}-${parts.day} `;
  return `${day}${clock} ${offsetText(parts.timeZoneName ?? "GMT")}`;
}

/**
 * A maintenance window: `2026-12-05 22:00 – 2026-12-06 04:00 +08:00`, the offset written once
 * when both ends share it; a same-day window reads `2026-12-05 22:00 – 23:30 +08:00`.
 */
export function formatWindow(window: { start: string; end: string }, timeZone: string): string {
  const start = formatTime(window.start, timeZone);
  const end = formatTime(window.end, timeZone);
  const [startDay, startClock, startOffset] = start.split(" ");
  const [endDay, endClock, endOffset] = end.split(" ");
  if (startOffset !== endOffset || startClock === undefined || endClock === undefined)
    return `${start} – ${end}`;
  return startDay === endDay
    ? `${startDay} ${startClock} – ${endClock} ${endOffset}`
    : `${startDay} ${startClock} – ${endDay} ${endClock} ${endOffset}`;
}
