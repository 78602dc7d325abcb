import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { BatchProgress, MeterStream, ProgressTracker } from "../../../src/transfer/meter.ts";
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

describe("batch progress in archive bytes", () => {
  const tracking = (total: number) => {
    const reports: { bytesDone: number; bytesTotal: number }[] = [];
    const tracker = new ProgressTracker(total, 2, (progress) => reports.push(progress), 0);
    return { tracker, last: () => reports.at(-1)! };
  };

  it("uncompressed, counts wire bytes and corrects the total by what a batch really took", () => {
    const { tracker, last } = tracking(3000);
    const progress = new BatchProgress(tracker, false);
    const batch = progress.batch(3000);
    batch.onBytes(1000);
    batch.onBytes(2100);
    batch.sent(3100);
    tracker.flush();
    expect(last()).toMatchObject({ bytesDone: 3100, bytesTotal: 3100 });
  });

  it("compressed, scales wire bytes by the ratio of the batches before and ends each batch at its estimate", () => {
    const { tracker, last } = tracking(20_000);
    const progress = new BatchProgress(tracker, true);
    const first = progress.batch(10_000);
    first.onBytes(4000);
    // No ratio known yet: a wire byte counts as one archive byte.
    expect(last().bytesDone).toBe(4000);
    first.onBytes(1000);
    first.sent(5000);
    expect(last()).toMatchObject({ bytesDone: 10_000, bytesTotal: 20_000 });
    const second = progress.batch(10_000);
    second.onBytes(2500);
    // Two archive bytes per wire byte, learnt from the first batch.
    expect(last().bytesDone).toBe(15_000);
    second.onBytes(4000);
    // Never past the batch's estimate while it streams.
    expect(last().bytesDone).toBe(20_000);
    second.sent(6500);
    tracker.flush();
    expect(last()).toMatchObject({ bytesDone: 20_000, bytesTotal: 20_000 });
  });
});
