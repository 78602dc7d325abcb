/**
 * Issue 11 item 16: deadlines follow the work. A fixed 30 minutes for any hash, dump or
 * restore, and a batch deadline that ignores the shared bandwidth budget, fail big or
 * throttled workloads on every retry; these are the figures that replace them.
 */
import { describe, expect, it } from "vitest";
import { TokenBucket } from "../../../src/engine/running/throttle.ts";
import {
  databaseDeadlineMs,
  hashDeadlineMs,
  hashStallMs,
  STALL_MS,
  transferStallMs,
} from "../../../src/remote/deadline.ts";
import { LARGE_FILE_BYTES } from "../../../src/transfer/ranges.ts";
import { batchTimeoutMs } from "../../../src/transfer/sync.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const minutes = (ms: number) => ms / 60_000;

describe("deadlines from size, rate and progress", () => {
  it("gives hashing a 100 GiB tree longer than the old fixed 30 minutes, and a small one far less", () => {
    // 100 GiB at the slowest healthy hashing rate (20 MiB/s) takes 85 minutes.
    expect(minutes(hashDeadlineMs(100 * GiB))).toBeGreaterThan(85);
    expect(minutes(hashDeadlineMs(10 * MiB))).toBeLessThan(6);
  });

  it("lets a 20 GiB database dump and restore take the hours it needs", () => {
    expect(minutes(databaseDeadlineMs(20 * GiB))).toBeGreaterThan(170);
  });

  it("gives a throttled batch the time its share of the budget needs", () => {
    // 64 MiB under a 256 KiB/s budget shared by 4 workloads: 64 KiB/s each, 1024 s at least.
    const budget = new TokenBucket(256 * 1024, () => 0, 4);
    expect(batchTimeoutMs(64 * MiB, budget)).toBeGreaterThan(2 * 1024 * 1000);
    // Unthrottled, the same batch is bounded by the slowest healthy link (1 MiB/s) instead.
    expect(batchTimeoutMs(64 * MiB)).toBeLessThan(batchTimeoutMs(64 * MiB, budget));
  });

  it("notices a stall within a minute, widened only by what must pass in silence", () => {
    expect(STALL_MS).toBeLessThanOrEqual(60_000);
    expect(transferStallMs()).toBe(STALL_MS);
    // A 1 MiB chunk at a 16 KiB/s share passes every 64 s: the window must hold one.
    expect(transferStallMs({ bytesPerSecond: 64 * 1024, sharers: 4 })).toBeGreaterThanOrEqual(
      STALL_MS + 64_000,
    );
    // Hashing a 4 GiB file prints nothing until it is done (~205 s at 20 MiB/s).
    expect(hashStallMs(4 * GiB)).toBeGreaterThan(STALL_MS + 200_000);
  });

  it("notices a stalled transfer within a minute and a stalled batch check within two, whatever the file sizes", () => {
    // Files from LARGE_FILE_BYTES on go by ranges (stall window STALL_MS: a digest comes back
    // per range); a batch's check hashes files below that size only.
    expect(transferStallMs()).toBe(STALL_MS);
    expect(minutes(hashStallMs(LARGE_FILE_BYTES))).toBeLessThan(2);
    expect(minutes(hashStallMs(100 * GiB))).toBeGreaterThan(85);
  });
});
