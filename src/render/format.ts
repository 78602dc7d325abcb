/**
 * Human-readable figures shared by the live view, plain lines, logs and reports: binary units
 * (what `du -h` and rsync show operators, from plan/bytes.ts), clock-style durations, and a
 * text progress bar.
 */
import { formatBytes } from "../plan/bytes.ts";
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** 3_723_000 ms → "1:02:03"; 83_000 → "1:23"; sub-second values → "0:00". */
export function formatClock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const ss = String(seconds).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${ss}` : `${minutes}:${ss}`;
}

/** Short duration for tables: "850 ms", "12.4 s", "3 min 05 s", "1 h 02 min". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, "0")} s`;
  return `${Math.floor(seconds / 3600)} h ${String(Math.floor((seconds % 3600) / 60)).padStart(2, "0")} min`;
}

/** Seconds left at the current rate, or undefined when the rate is unknown. */
export function etaMs(bytesDone: number, bytesTotal: number, rateBps: number): number | undefined {
  if (rateBps <= 0 || bytesTotal <= 0) return undefined;
  return (Math.max(0, bytesTotal - bytesDone) / rateBps) * 1000;
}

export function percent(done: number, total: number): number {
  if (total <= 0) return done > 0 ? 100 : 0;
  return Math.min(100, Math.floor((done / total) * 100));
}

/** "[#######.............]" — ASCII so it survives any terminal, log file and tmux capture. */
export function progressBar(done: number, total: number, width = 20): string {
  const filled = Math.round((percent(done, total) / 100) * width);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
}

/** One transfer figure: "45% 1.2 GiB/2.6 GiB 80 MiB/s ETA 0:18". */
export function formatTransfer(p: {
  bytesDone: number;
  bytesTotal: number;
  rateBps: number;
  bytesInPlace?: number;
}): string {
  const eta = etaMs(p.bytesDone, p.bytesTotal, p.rateBps);
  const parts = [
    `${percent(p.bytesDone, p.bytesTotal)}%`,
    `${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}`,
    formatRate(p.rateBps),
  ];
  if (eta !== undefined) parts.push(`ETA ${formatClock(eta)}`);
  if (p.bytesInPlace) parts.push(`· ${formatBytes(p.bytesInPlace)} already in place`);
  return parts.join(" ");
}
