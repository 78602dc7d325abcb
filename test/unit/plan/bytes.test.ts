import { describe, expect, it } from "vitest";
import { BANDWIDTH, formatBytes, parseBandwidth } from "../../../src/plan/bytes.ts";
import { planJsonSchema } from "../../../src/plan/json-schema.ts";

describe("bandwidth", () => {
  it("parses rates in every unit, decimal and binary", () => {
    expect(parseBandwidth("100MiB/s")).toBe(100 * 1024 * 1024);
    expect(parseBandwidth("1.5MB/s")).toBe(1_500_000);
    expect(parseBandwidth("1.25MiB/s")).toBe(1.25 * 1024 * 1024);
    expect(parseBandwidth("512B/s")).toBe(512);
    expect(parseBandwidth("2KB/s")).toBe(2_000);
    expect(parseBandwidth("2KiB/s")).toBe(2_048);
    expect(parseBandwidth("3GB/s")).toBe(3e9);
    expect(parseBandwidth("1GiB/s")).toBe(1024 ** 3);
    expect(parseBandwidth("0.5KiB/s")).toBe(512);
    expect(() => parseBandwidth("fast")).toThrow('bandwidth "fast" is not a rate like 100MiB/s');
    for (const text of [
      "100MiB",
      "100 MiB/s",
      "100mib/s",
      "1.MiB/s",
      ".5MiB/s",
      "x100MiB/s",
      "100MiB/sec",
      "100TiB/s",
      "-1MiB/s",
      "",
    ])
      expect(() => parseBandwidth(text), text).toThrow(/is not a rate/);
  });

  it("is the pattern the published JSON Schema gives defaults.bandwidth", () => {
    expect(JSON.stringify(planJsonSchema())).toContain(JSON.stringify(BANDWIDTH.source));
  });
});

describe("sizes", () => {
  it("shows whole bytes below 1 KiB and binary units above", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1024)).toBe("1.00 KiB");
    expect(formatBytes(1536)).toBe("1.50 KiB");
    expect(formatBytes(2048)).toBe("2.00 KiB");
  });

  it("keeps three significant figures as the value grows within a unit", () => {
    expect(formatBytes(10 * 1024)).toBe("10.0 KiB");
    expect(formatBytes(99.94 * 1024)).toBe("99.9 KiB");
    expect(formatBytes(100 * 1024)).toBe("100 KiB");
    expect(formatBytes(1023 * 1024)).toBe("1023 KiB");
    expect(formatBytes(5 * 1024 ** 3)).toBe("5.00 GiB");
  });

  it("stops at TiB however large", () => {
    expect(formatBytes(1024 ** 4)).toBe("1.00 TiB");
    expect(formatBytes(1024 ** 5)).toBe("1024 TiB");
  });

  it("shows ? for what is not a size", () => {
    for (const value of [-1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(formatBytes(value), String(value)).toBe("?");
  });
});
