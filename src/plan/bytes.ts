/**
 * Byte quantities: the plan's bandwidth syntax ("100MiB/s") with its one parser, and sizes as
 * operators read them (binary units, what `du -h` and rsync show) for plan text, live view,
 * logs, reports and inventory tables alike.
 */
import { UserError } from "../errors.ts";

/** What the schema accepts for `defaults.bandwidth`: a decimal number, a unit, "/s". */
export const BANDWIDTH = /^(\d+(?:\.\d+)?)(B|KiB|MiB|GiB|KB|MB|GB)\/s$/;

const RATE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};

/** "100MiB/s" → bytes per second. */
export function parseBandwidth(text: string): number {
  const match = BANDWIDTH.exec(text);
  if (!match) throw new UserError("invalid-plan", `bandwidth "${text}" is not a rate like 100MiB/s`);
  return Number(match[1]) * (RATE_UNITS[match[2] as string] as number);
}

const SIZE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/** 1536 → "1.50 KiB"; whole bytes below 1 KiB; "?" for what is not a size. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "?";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < SIZE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0
    ? `${value} B`
    : `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${SIZE_UNITS[unit]}`;
}
