import { describe, expect, it } from "vitest";
import { InterruptedError } from "../../../src/errors.ts";
import { Semaphore } from "../../../src/remote/semaphore.ts";

describe("Semaphore", () => {
  it("never lets more than the limit through and serves waiters in order", async () => {
    const semaphore = new Semaphore(2);
    const order: number[] = [];
    let peak = 0;
    await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const release = await semaphore.acquire();
        peak = Math.max(peak, semaphore.inUse);
        order.push(i);
        await new Promise((resolve) => setImmediate(resolve));
        release();
      }),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(semaphore.inUse).toBe(0);
  });

  it("rejects an aborted wait and does not leak its slot", async () => {
    const semaphore = new Semaphore(1);
    const release = await semaphore.acquire();
    const controller = new AbortController();
    const waiting = semaphore.acquire(controller.signal);
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(InterruptedError);
    release();
    release();
    expect(semaphore.inUse).toBe(0);
    const again = await semaphore.acquire();
    expect(semaphore.inUse).toBe(1);
    again();
  });
});
