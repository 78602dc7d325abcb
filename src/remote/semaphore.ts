/** A counting semaphore with abortable waits: bounds the channels open on one SSH connection. */
import { InterruptedError } from "../errors.ts";

export class Semaphore {
  private available: number;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly limit: number) {
    this.available = limit;
  }

  get inUse(): number {
    return this.limit - this.available;
  }

  /** Resolves with a release function once a slot is free; rejects when `signal` aborts first. */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.available > 0) {
      this.available -= 1;
      return this.releaser();
    }
    return await new Promise<() => void>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve(this.releaser());
      };
      const onAbort = () => {
        const index = this.waiters.indexOf(grant);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new InterruptedError("interrupted while waiting for an SSH channel"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(grant);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      // Hand the slot straight to the next waiter so a newcomer cannot overtake it.
      if (next) next();
      else this.available += 1;
    };
  }
}
