import { getEventListeners } from "node:events";
import { describe, expect, it, vi } from "vitest";
import { backoffMs, isRetryable, sleep } from "../../../../src/engine/running/retry.ts";
import { createThrottle, TokenBucket, UNLIMITED } from "../../../../src/engine/running/throttle.ts";
import { RemoteError, UserError } from "../../../../src/errors.ts";

describe("throttle", () => {
  it("gives unlimited when the plan sets no bandwidth", async () => {
    const throttle = createThrottle(undefined);
    expect(throttle).toBe(UNLIMITED);
    await expect(throttle.take(1e12)).resolves.toBeUndefined();
    expect(createThrottle("4MiB/s")).toMatchObject({ bytesPerSecond: 4 * 1024 * 1024 });
  });

  it("holds concurrent takers together to the rate after a one-second burst", async () => {
    // A fake clock and fake timers: the claim is about the schedule, which a loaded machine
    // must not be able to stretch or squeeze.
    vi.useFakeTimers();
    try {
      let now = 50_000;
      const bucket = new TokenBucket(10_000_000, () => now);
      // One second's worth (10 MB) is free; the next 3 MB cost 300 ms whoever takes them.
      await bucket.take(10_000_000);
      let done = 0;
      const takers = [1, 2, 3].map(() => bucket.take(1_000_000).then(() => done++));
      await vi.advanceTimersByTimeAsync(99);
      expect(done).toBe(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(done).toBe(1);
      await vi.advanceTimersByTimeAsync(199);
      expect(done).toBe(2);
      await vi.advanceTimersByTimeAsync(1);
      expect(done).toBe(3);
      await Promise.all(takers);
      // Idle time refills the burst, but never more than one second's worth.
      now += 60_000;
      const start = Date.now();
      let refilled = 0;
      const burst = [bucket.take(10_000_000), bucket.take(2_000_000)].map((p) => p.then(() => refilled++));
      await vi.advanceTimersByTimeAsync(0);
      expect(refilled).toBe(1);
      await vi.advanceTimersByTimeAsync(200);
      await Promise.all(burst);
      expect(Date.now() - start).toBe(200);
    } finally {
      vi.useRealTimers();
    }
  });

  it("refuses a rate that is not positive", () => {
    for (const rate of [0, -1, Number.NaN])
      expect(() => new TokenBucket(rate), String(rate)).toThrow(RangeError);
  });

  it("stops waiting when the signal aborts", async () => {
    const bucket = new TokenBucket(1_000);
    await bucket.take(1_000);
    const controller = new AbortController();
    const waiting = bucket.take(10_000, controller.signal);
    controller.abort(new Error("stop"));
    await expect(waiting).rejects.toThrow("stop");
  });
});

describe("retry policy", () => {
  it("retries transient faults only", () => {
    expect(isRetryable(new RemoteError("timeout", "t", { host: "h", command: "c", exitCode: null }))).toBe(
      true,
    );
    expect(isRetryable(new RemoteError("remote", "exit 1", { host: "h", command: "c", exitCode: 1 }))).toBe(
      false,
    );
    expect(isRetryable(Object.assign(new Error("reset"), { code: "ECONNRESET" }))).toBe(true);
    expect(isRetryable(new UserError("host-key", "changed"))).toBe(false);
    expect(isRetryable(new Error("bug"))).toBe(false);
  });

  it("treats every transient socket fault as retryable, whatever the error class", () => {
    for (const code of ["ECONNRESET", "ETIMEDOUT", "EPIPE", "ECONNREFUSED", "EHOSTUNREACH", "ECONNABORTED"]) {
      expect(isRetryable(Object.assign(new Error(code), { code })), code).toBe(true);
      expect(isRetryable({ code }), code).toBe(true);
    }
  });

  it("does not retry other system errors, codes that are not strings, or nothing", () => {
    for (const code of ["ENOENT", "EACCES", "ENOSPC", "econnreset", "", 104])
      expect(isRetryable(Object.assign(new Error("x"), { code })), String(code)).toBe(false);
    expect(isRetryable(undefined)).toBe(false);
    expect(isRetryable(null)).toBe(false);
    expect(isRetryable("ECONNRESET")).toBe(false);
  });

  it("sleeps exactly as long as asked, and ends early with the signal's reason", async () => {
    vi.useFakeTimers();
    try {
      let slept = false;
      const nap = sleep(500).then(() => {
        slept = true;
      });
      await vi.advanceTimersByTimeAsync(499);
      expect(slept).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(slept).toBe(true);
      await nap;

      const before = new AbortController();
      before.abort(new Error("already stopped"));
      await expect(sleep(500, before.signal)).rejects.toThrow("already stopped");

      const during = new AbortController();
      const waiting = sleep(60_000, during.signal);
      await vi.advanceTimersByTimeAsync(10);
      during.abort(new Error("stopped"));
      await expect(waiting).rejects.toThrow("stopped");
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("leaves no abort listener on the run's signal, whether the sleep ends or is aborted", async () => {
    // One run signal serves every retry of every step: a listener left per sleep would pile up
    // (and trip Node's MaxListenersExceededWarning) over a long run.
    const run = new AbortController();
    for (let i = 0; i < 20; i++) await sleep(1, run.signal);
    expect(getEventListeners(run.signal, "abort")).toHaveLength(0);

    const stopped = new AbortController();
    const waiting = sleep(60_000, stopped.signal);
    expect(getEventListeners(stopped.signal, "abort")).toHaveLength(1);
    stopped.abort(new Error("stopped"));
    await expect(waiting).rejects.toThrow("stopped");
    expect(getEventListeners(stopped.signal, "abort")).toHaveLength(0);
  });

  it("backs off exponentially with full jitter under a cap", () => {
    const policy = { retries: 5, baseMs: 1_000, maxMs: 30_000 };
    expect([1, 2, 3, 4, 6, 10].map((n) => backoffMs(policy, n, () => 1))).toEqual([
      1_000, 2_000, 4_000, 8_000, 30_000, 30_000,
    ]);
    expect(backoffMs(policy, 3, () => 0.5)).toBe(2_000);
    expect(backoffMs(policy, 3, () => 0)).toBe(0);
  });
});
