import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { MeterStream, ProgressTracker } from "../../../src/transfer/meter.ts";
import type { Throttle } from "../../../src/transfer/types.ts";

describe("meter", () => {
  it("takes every byte from the shared budget before passing it on, unchanged", async () => {
    const taken: number[] = [];
    const throttle: Throttle = { take: async (bytes) => void taken.push(bytes) };
    const seen: number[] = [];
    const meter = new MeterStream(throttle, new AbortController().signal, (n) => seen.push(n));
    const chunks = [Buffer.alloc(1000, 1), Buffer.alloc(24, 2), Buffer.alloc(70_000, 3)];
    const out: Buffer[] = [];
    await pipeline(
      Readable.from(chunks),
      meter,
      new Writable({
        write(chunk, _encoding, done) {
          out.push(chunk);
          done();
        },
      }),
    );
    expect(Buffer.concat(out)).toEqual(Buffer.concat(chunks));
    expect(taken.reduce((a, b) => a + b, 0)).toBe(71_024);
    expect(seen).toEqual(taken);
    expect(meter.bytes).toBe(71_024);
  });

  it("fails the stream when the budget refuses (the run was stopped)", async () => {
    const throttle: Throttle = { take: async () => Promise.reject(new Error("aborted")) };
    const meter = new MeterStream(throttle, new AbortController().signal, () => {});
    await expect(
      pipeline(Readable.from([Buffer.from("x")]), meter, new Writable({ write: (_c, _e, d) => d() })),
    ).rejects.toThrow("aborted");
  });

  it("reports bytes, files and a rate, at most once per interval plus on flush", () => {
    const reports: { bytesDone: number; filesDone: number; rateBps: number }[] = [];
    const tracker = new ProgressTracker(100, 2, (progress) => reports.push(progress), 60_000);
    tracker.addBytes(10);
    tracker.addBytes(20);
    tracker.addFiles(1);
    tracker.flush();
    expect(reports).toHaveLength(2);
    expect(reports.at(-1)).toMatchObject({ bytesDone: 30, filesDone: 1, bytesTotal: 100, filesTotal: 2 });
  });
});
