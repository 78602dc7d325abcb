/**
 * Garbage collection where V8 cannot know it is due. Both need `gc`, which exists only when node
 * runs with --expose-gc, as bin/migrate starts it (with a young generation of 2 × 4 MiB);
 * elsewhere (tests importing the engine) they do nothing.
 *
 * Measured on `migrate apply` of 1.1 GiB (10,000 small files and 5 large ones): peak RSS
 * 204–220 MiB without, ~142 MiB with both and the flags (README, performance).
 */
import { getHeapStatistics } from "node:v8";

// gc() is a full collection; of its options only { type: "minor" } is honoured by node 20's V8
// ({ type: "major" } made a minor one: test/unit/engine/heap.test.ts).
const collect = (globalThis as { gc?: (options?: { type: "minor" }) => void }).gc;

/**
 * Every transferred chunk leaves ~6 buffers of garbage outside the heap (ssh2 allocates one
 * per packet to decrypt, frame and encrypt, twice through the bastion), but V8 counts only its
 * small wrappers towards a collection and lets 64 MiB of such memory pile up before it looks:
 * a minor collection every 2 MiB moved frees them while they are young, for ~1 % of CPU.
 */
const TRANSFER_BYTES_PER_COLLECTION = 2 * 1024 * 1024;
let movedSinceCollection = 0;

export function noteBytesMoved(bytes: number): void {
  if (collect === undefined) return;
  movedSinceCollection += bytes;
  if (movedSinceCollection < TRANSFER_BYTES_PER_COLLECTION) return;
  movedSinceCollection = 0;
  collect({ type: "minor" });
}

/**
 * A step's working set — a 10,000-file workload's manifests, listings and canonical lines, tens
 * of MiB — is garbage once the step ends, but a CLI has no idle time in which V8 would collect
 * it, so old space kept growing into the next step (the final sync and verify made apply's
 * peak). A full collection before a step, once the heap has grown enough since the last one to
 * be worth its ~10 ms.
 */
const HEAP_GROWTH_PER_COLLECTION = 16 * 1024 * 1024;
let usedAfterLast = 0;

export function collectBetweenSteps(): void {
  if (collect === undefined) return;
  if (getHeapStatistics().used_heap_size - usedAfterLast < HEAP_GROWTH_PER_COLLECTION) return;
  collect();
  usedAfterLast = getHeapStatistics().used_heap_size;
}
