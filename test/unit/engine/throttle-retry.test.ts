import { describe, expect, it } from "vitest";
import { backoffMs, isRetryable } from "../../../src/engine/retry.ts";
import { parseBandwidth, TokenBucket } from "../../../src/engine/throttle.ts";
import { RemoteError, UserError } from "../../../src/errors.ts";

describe("throttle", () => {
  it("parses rates", () => {
    expect(parseBandwidth("100MiB/s")).toBe(100 * 1024 * 1024);
    expect(parseBandwidth("1.5MB/s")).toBe(1_500_000);
    expect(() => parseBandwidth("fast")).toThrow(/100MiB\/s/);
  });

  it("holds concurrent takers together to the rate after a one-second burst", async () => {
    const bucket = new TokenBucket(10_000_000);
    const started = performance.now();
    // 10 MB burst is free, the next 3 MB cost 300 ms whoever takes them.
    await bucket.take(10_000_000);
    await Promise.all([bucket.take(1_000_000), bucket.take(1_000_000), bucket.take(1_000_000)]);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(1_000);
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

  it("backs off exponentially with full jitter under a cap", () => {
    const policy = { retries: 5, baseMs: 1_000, maxMs: 30_000 };
    expect([1, 2, 3, 4, 6, 10].map((n) => backoffMs(policy, n, () => 1))).toEqual([
      1_000, 2_000, 4_000, 8_000, 30_000, 30_000,
    ]);
    expect(backoffMs(policy, 3, () => 0.5)).toBe(2_000);
    expect(backoffMs(policy, 3, () => 0)).toBe(0);
  });
});
