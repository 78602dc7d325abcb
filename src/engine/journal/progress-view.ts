/**
 * The byte progress `status` shows for a step running on a runner (shared state only: a local
 * apply's progress lives in its own process): the latest reading, the time it was taken and the
 * time left at its rate.
 */
import { formatTime } from "../../plan/time.ts";
import type { StepName } from "../../steps/names.ts";
import type { Progress } from "../../transfer/types.ts";

export interface StepProgressView extends Progress {
  step: StepName;
  /** When the runner took the reading. */
  at: string;
  /** Time left at the reading's rate; absent while the rate is unknown. */
  etaMs?: number;
}

export function progressView(reading: Progress & { step: StepName; at: string }): StepProgressView {
  const { step, at, bytesDone, bytesTotal, filesDone, filesTotal, rateBps } = reading;
  const inPlace =
    reading.bytesInPlace === undefined
      ? {}
      : { bytesInPlace: reading.bytesInPlace, filesInPlace: reading.filesInPlace ?? 0 };
  const known = rateBps > 0 && bytesTotal > 0;
  return {
    step,
    bytesDone,
    bytesTotal,
    filesDone,
    filesTotal,
    rateBps,
    ...inPlace,
    at,
    ...(known ? { etaMs: Math.round((Math.max(0, bytesTotal - bytesDone) / rateBps) * 1000) } : {}),
  };
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** "transfer 45% (12.0 MiB of 26.7 MiB), 3.0 MiB/s, ETA 0:05, as of 23:04:05 +08:00" (the live view's ETA). */
export function progressText(view: StepProgressView, timeZone: string): string {
  const share = view.bytesTotal > 0 ? Math.min(100, Math.floor((view.bytesDone / view.bytesTotal) * 100)) : 0;
  const seconds = view.etaMs === undefined ? undefined : Math.ceil(view.etaMs / 1000);
  const eta =
    seconds === undefined ? "" : `, ETA ${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
  const asOf = formatTime(view.at, timeZone, { precision: "second", date: false });
  return `${view.step} ${share}% (${mib(view.bytesDone)} of ${mib(view.bytesTotal)}), ${mib(view.rateBps)}/s${eta}, as of ${asOf}`;
}
