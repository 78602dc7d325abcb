/**
 * Durations as a plan writes them ("500ms", "90s", "15m", "2h"): the schema's pattern and the one
 * parser that the plan rules, the engine's downtime budget and the report all use.
 */

/** Whole numbers only, one unit, no spaces: what the schema accepts for a duration. */
export const DURATION = /^(\d+)(ms|s|m|h)$/;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * "500ms", "90s", "15m", "2h" → milliseconds. Plans reach callers through the schema, so text it
 * refuses here is a bug: a RangeError, never a silent zero.
 */
export function parseDurationMs(text: string): number {
  const match = DURATION.exec(text);
  if (!match) throw new RangeError(`not a duration: ${text}`);
  return Number(match[1]) * (UNIT_MS[match[2] as string] as number);
}
