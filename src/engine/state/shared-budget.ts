/**
 * The plan's bandwidth budget held across all runners: the token bucket of running/throttle.ts
 * with its timeline in the database (`budgets.paid_until`). A runner reserves a quarter second
 * of the rate at a time (one UPDATE), spends it locally, and sleeps until its reservation is
 * paid for; so all runners together never exceed the rate, with at most one second of burst.
 */
import type { Pool } from "pg";
import type { Throttle } from "../../transfer/types.ts";
import { sleep } from "../running/retry.ts";

export class SharedBudget implements Throttle {
  readonly budget: { bytesPerSecond: number; sharers: number };
  readonly #pool: Pool;
  readonly #plan: string;
  readonly #rate: number;
  /** Bytes reserved and paid for, not yet spent. */
  #credit = 0;
  #reserving: Promise<void> | undefined;

  constructor(pool: Pool, plan: string, bytesPerSecond: number, sharers = 1) {
    this.#pool = pool;
    this.#plan = plan;
    this.#rate = bytesPerSecond;
    this.budget = { bytesPerSecond, sharers };
  }

  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    while (this.#credit < bytes) {
      this.#reserving ??= this.#reserve(Math.max(bytes - this.#credit, this.#rate / 4), signal).finally(
        () => {
          this.#reserving = undefined;
        },
      );
      await this.#reserving;
    }
    this.#credit -= bytes;
  }

  async #reserve(bytes: number, signal?: AbortSignal): Promise<void> {
    const seconds = bytes / this.#rate;
    const { rows } = await this.#pool.query<{ wait: number }>(
      `INSERT INTO budgets AS b (plan, paid_until)
         VALUES ($1, clock_timestamp() - interval '1 second' + make_interval(secs => $2))
       ON CONFLICT (plan) DO UPDATE SET paid_until =
         greatest(b.paid_until, clock_timestamp() - interval '1 second') + make_interval(secs => $2)
       RETURNING extract(epoch FROM paid_until - clock_timestamp()) * 1000 AS wait`,
      [this.#plan, seconds],
    );
    const wait = Number(rows[0]?.wait ?? 0);
    if (wait > 0) await sleep(wait, signal);
    this.#credit += bytes;
  }
}

/** Both limits: the runner's own link and the plan's budget shared by all runners. */
export function bothThrottles(own: Throttle, shared: Throttle): Throttle {
  return {
    ...(shared.budget ? { budget: shared.budget } : {}),
    async take(bytes, signal) {
      await Promise.all([own.take(bytes, signal), shared.take(bytes, signal)]);
    },
  };
}
