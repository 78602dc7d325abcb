/**
 * What `status` shows of a runner's byte progress: the reading's figures, the time left at its
 * rate (none while the rate is unknown), and one line in the plan's time zone.
 */
import { describe, expect, it } from "vitest";
import { progressText, progressView } from "../../../../src/engine/journal/progress-view.ts";

const MIB = 1024 * 1024;
const reading = {
  step: "transfer" as const,
  bytesDone: 6 * MIB,
  bytesTotal: 24 * MIB,
  filesDone: 5,
  filesTotal: 20,
  rateBps: 3 * MIB,
  at: "2026-12-01T15:04:05.000Z",
};

describe("byte progress in status", () => {
  it("keeps the reading's figures and adds the time left at its rate", () => {
    expect(progressView(reading)).toEqual({ ...reading, etaMs: 6000 });
    expect(progressView({ ...reading, rateBps: 0 })).not.toHaveProperty("etaMs");
  });

  it("reads as one line with the ETA as the live view writes it", () => {
    expect(progressText(progressView(reading), "Asia/Shanghai")).toBe(
      "transfer 25% (6.0 MiB of 24.0 MiB), 3.0 MiB/s, ETA 0:06, as of 23:04:05 +08:00",
    );
  });
});
