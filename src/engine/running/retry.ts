/**
 * Retry decisions (Temporal's policy idea): only faults marked retryable — connection reset,
 * timeout, unreachable — are tried again, with exponential backoff and full jitter.
 */
import { isMigrateError } from "../../errors.ts";
import { isTransientCode } from "../../remote/ssh-errors.ts";

export interface RetryPolicy {
  /** Extra attempts after the first (plan.defaults.retries). */
  retries: number;
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF = { baseMs: 1_000, maxMs: 30_000 } as const;

export function isRetryable(error: unknown): boolean {
  if (isMigrateError(error)) return error.retryable;
  return isTransientCode((error as { code?: unknown } | undefined)?.code);
}

/** Delay before attempt `attempt + 1` (attempt counts from 1): random in [0, min(max, base·2^(attempt-1))]. */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling * random());
}

/** Sleep that ends early (rejecting with the signal's reason) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
