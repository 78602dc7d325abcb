import { describe, expect, it } from "vitest";
import { formatTime, formatWindow } from "../../../src/plan/time.ts";

describe("formatTime", () => {
  it("writes a UTC instant in the plan's zone with its offset", () => {
    expect(formatTime("2026-12-05T14:00:00Z", "Asia/Shanghai")).toBe("2026-12-05 22:00 +08:00");
    expect(formatTime("2026-12-05T22:00+08:00", "Asia/Shanghai")).toBe("2026-12-05 22:00 +08:00");
  });

  it("crosses midnight into the next local day", () => {
    expect(formatTime("2026-12-05T18:30:00Z", "Asia/Shanghai")).toBe("2026-12-06 02:30 +08:00");
  });

  it("shows seconds and milliseconds when asked, and can leave the date out", () => {
    const at = "2026-12-05T14:00:05.042Z";
    expect(formatTime(at, "Asia/Shanghai", { precision: "second" })).toBe("2026-12-05 22:00:05 +08:00");
    expect(formatTime(at, "Asia/Shanghai", { precision: "millisecond", date: false })).toBe(
      "22:00:05.042 +08:00",
    );
    expect(formatTime(Date.parse(at), "Asia/Shanghai", { precision: "second", date: false })).toBe(
      "22:00:05 +08:00",
    );
  });

  it("writes UTC as +00:00, half-hour zones and daylight saving exactly", () => {
    expect(formatTime("2026-12-05T14:00:00Z", "UTC")).toBe("2026-12-05 14:00 +00:00");
    expect(formatTime("2026-12-05T14:00:00Z", "Asia/Kolkata")).toBe("2026-12-05 19:30 +05:30");
    expect(formatTime("2026-07-01T12:00:00Z", "Europe/Berlin")).toBe("2026-07-01 14:00 +02:00");
    expect(formatTime("2026-12-01T12:00:00Z", "Europe/Berlin")).toBe("2026-12-01 13:00 +01:00");
    expect(formatTime("2026-12-01T12:00:00Z", "America/New_York")).toBe("2026-12-01 07:00 -05:00");
  });

  it("returns text that is not a time unchanged", () => {
    expect(formatTime("not a time", "Asia/Shanghai")).toBe("not a time");
  });
});

describe("formatWindow", () => {
  it("writes the offset once and the date once for a same-day window", () => {
    expect(
      formatWindow({ start: "2026-12-05T20:00+08:00", end: "2026-12-05T23:30+08:00" }, "Asia/Shanghai"),
    ).toBe("2026-12-05 20:00 – 23:30 +08:00");
  });

  it("dates both ends of a window that crosses midnight, in the plan's zone", () => {
    expect(formatWindow({ start: "2026-12-05T14:00Z", end: "2026-12-05T20:00Z" }, "Asia/Shanghai")).toBe(
      "2026-12-05 22:00 – 2026-12-06 04:00 +08:00",
    );
  });

  it("keeps both offsets when daylight saving changes inside the window", () => {
    expect(formatWindow({ start: "2026-10-24T22:00Z", end: "2026-10-25T04:00Z" }, "Europe/Berlin")).toBe(
      "2026-10-25 00:00 +02:00 – 2026-10-25 05:00 +01:00",
    );
  });
});
