/**
 * Garbage collection where V8 cannot know it is due, injected by the command session through
 * the two seams the engine already offers the cli: the transfer budget every moved byte passes
 * (`collectingThrottle`) and the step-start event (`collectOnStepStart`). It needs `gc`, which
 * exists only when node runs with --expose-gc, as bin/migrate starts it (with a young generation
 * of 2 × 4 MiB); elsewhere these functions do nothing.
 *
 * Measured on `migrate apply` of 1.1 GiB (10,000 small files and 5 large ones): peak RSS
 * 204–220 MiB without, 137–150 MiB with this and the flags (docs/performance.md).
 */
import { getHeapStatistics } from "node:v8";
import type { EngineEvent, OnEvent } from "../engine/events.ts";
import type { Throttle } from "../transfer/types.ts";

// gc() is a full collection; of its options only { type: "minor" } is honoured by node 20's V8
// ({ type: "major" } made a minor one: test/unit/cli/memory-policy.test.ts).
const collect = (globalThis as { gc?: (options?: { type: "minor" }) => void }).gc;

let usedAfterFull = 0;
let externalAfterFull = 0;

function fullCollection(): void {
  collect?.();
  const after = getHeapStatistics();
  usedAfterFull = after.used_heap_size;
  externalAfterFull = after.external_memory;
}

/**
 * Every transferred chunk leaves ~6 buffers of garbage outside the heap (ssh2 allocates one
 * per packet to decrypt, frame and encrypt, twice through the bastion), but V8 counts only their
 * small wrappers towards a minor collection and lets 64 MiB of such memory pile up before a full
 * one. So every 2 MiB moved the buffers outside the heap are looked at: when they grew by 8 MiB
 * since the last look after a collection, a minor collection frees them while they are young;
 * and a full one when buffers that outlived those (queued behind a slow peer) add up to 16 MiB —
 * on a busy machine they did, and apply peaked at 188–192 MiB without it. A stream of small
 * files allocates enough on the heap that V8's own minor collections free the buffers first,
 * so none is forced there (forcing one every 2 MiB regardless added 20–90 collections to a
 * 100,000-file transfer: docs/performance.md, "small-file throughput, third pass").
 */
const TRANSFER_BYTES_PER_LOOK = 2 * 1024 * 1024;
const EXTERNAL_GROWTH_PER_MINOR = 8 * 1024 * 1024;
const PROMOTED_BUFFERS_LIMIT = 16 * 1024 * 1024;
let movedSinceLook = 0;
/** Buffers outside the heap at the last look, or lower when V8 has freed some since. */
let externalBaseline = 0;

export function noteBytesMoved(bytes: number): void {
  if (collect === undefined) return;
  movedSinceLook += bytes;
  if (movedSinceLook < TRANSFER_BYTES_PER_LOOK) return;
  movedSinceLook = 0;
  const external = getHeapStatistics().external_memory;
  if (external - externalBaseline < EXTERNAL_GROWTH_PER_MINOR) {
    externalBaseline = Math.min(externalBaseline, external);
    return;
  }
  collect({ type: "minor" });
  externalBaseline = getHeapStatistics().external_memory;
  if (externalBaseline - externalAfterFull > PROMOTED_BUFFERS_LIMIT) fullCollection();
}

/**
 * A step's working set — a 10,000-file workload's manifests, listings and canonical lines, tens
 * of MiB — is garbage once the step ends, but a CLI has no idle time in which V8 would collect
 * it, so old space kept growing into the next step (the final sync and verify made apply's
 * peak). A full collection before a step, once the heap has grown enough since the last one to
 * be worth its ~10 ms.
 */
const HEAP_GROWTH_PER_COLLECTION = 16 * 1024 * 1024;

export function collectBetweenSteps(): void {
  if (collect === undefined) return;
  if (getHeapStatistics().used_heap_size - usedAfterFull < HEAP_GROWTH_PER_COLLECTION) return;
  fullCollection();
}

/**
 * Between two step starts, a long manifest pass (the snapshot's sort runs merged, the manifest
 * written and digested; the cutover's listings) makes garbage as fast as the transfer does, but
 * in strings and small buffers that live just long enough to be promoted, and V8 let old space
 * grow to ~3x what was live before a full collection: the snapshot of 100,000 or more files
 * peaked at 155–180 MiB where 10,000 peaked at 110 (live: under 30 MiB throughout). So, while a
 * command runs, the heap is looked at four times a second and collected when it grew by as much
 * as between two steps, or buffers outside it did.
 */
const GROWTH_CHECK_MS = 250;

function collectIfGrown(): void {
  const now = getHeapStatistics();
  if (
    now.used_heap_size - usedAfterFull >= HEAP_GROWTH_PER_COLLECTION ||
    now.external_memory - externalAfterFull > PROMOTED_BUFFERS_LIMIT
  )
    fullCollection();
}

/** Starts the checks above; returns the function that stops them. */
export function collectWhileRunning(): () => void {
  if (collect === undefined) return () => {};
  const timer = setInterval(collectIfGrown, GROWTH_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** `throttle` that also counts every byte it lets through towards the collections above. */
export function collectingThrottle(throttle: Throttle): Throttle {
  return {
    ...(throttle.budget ? { budget: throttle.budget } : {}),
    async take(bytes, signal) {
      await throttle.take(bytes, signal);
      noteBytesMoved(bytes);
    },
  };
}

/** `onEvent` that collects between steps, as each one starts (before it allocates its set). */
export function collectOnStepStart(onEvent: OnEvent): OnEvent {
  return (event: EngineEvent) => {
    if (event.type === "step-start") collectBetweenSteps();
    onEvent(event);
  };
}
