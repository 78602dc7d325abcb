/**
 * `--output json`: one JSON object per line on stdout, every line `{ "v": 1, "type": ..., ... }`.
 * `v` is the schema version (docs/events.md; schema/events.schema.json). Consumers
 * must ignore unknown `type`s and fields; a breaking change bumps `v`.
 */
import type { EngineEvent } from "../engine/events.ts";
import type { Diagnostic } from "../plan/diagnostics.ts";

export const EVENT_SCHEMA_VERSION = 1 as const;

export function eventLine(event: EngineEvent): string {
  return `${JSON.stringify({ v: EVENT_SCHEMA_VERSION, ...event })}\n`;
}

export function diagnosticLine(d: Diagnostic): string {
  return `${JSON.stringify({ v: EVENT_SCHEMA_VERSION, type: "diagnostic", ...d })}\n`;
}

export function summaryLine(summary: Record<string, unknown>): string {
  return `${JSON.stringify({ v: EVENT_SCHEMA_VERSION, type: "summary", ...summary })}\n`;
}
