/**
 * One bandwidth budget shared by every transfer of a run (a token bucket in its virtual-time
 * form): each `take(bytes)` reserves the next slot on a single timeline, so concurrent transfers
 * together never exceed the rate, with at most one second's worth of burst.
 */
import { parseBandwidth } from "../../plan/bytes.ts";
import type { Throttle } from "../../transfer/types.ts";
import { sleep } from "./retry.ts";

export const UNLIMITED: Throttle = { take: async () => {} };

export class TokenBucket implements Throttle {
  readonly bytesPerSecond: number;
  readonly #now: () => number;
  /** Time (ms) at which every byte reserved so far has been paid for. */
  #paidUntil: number;

  readonly budget: { bytesPerSecond: number; sharers: number };

  constructor(bytesPerSecond: number, now: () => number = () => performance.now(), sharers = 1) {
    if (!(bytesPerSecond > 0)) throw new RangeError("bandwidth must be positive");
    this.bytesPerSecond = bytesPerSecond;
    this.budget = { bytesPerSecond, sharers };
    this.#now = now;
    this.#paidUntil = now() - 1_000;
  }

  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    const now = this.#now();
    // Unused time older than one second does not accumulate: that caps the burst.
    const start = Math.max(this.#paidUntil, now - 1_000);
    this.#paidUntil = start + (bytes / this.bytesPerSecond) * 1_000;
    const wait = this.#paidUntil - now;
    if (wait > 0) await sleep(wait, signal);
  }
}

/** The run's budget; `sharers` is how many workloads may transfer at once (deadlines allow for it). */
export function createThrottle(bandwidth: string | undefined, sharers = 1): Throttle {
  return bandwidth ? new TokenBucket(parseBandwidth(bandwidth), undefined, sharers) : UNLIMITED;
}
