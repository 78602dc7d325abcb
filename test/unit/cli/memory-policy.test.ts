/**
 * src/cli/memory-policy.ts in a real node started with the flags bin/migrate gives it: collections happen
 * when due and only then, observed through node's own gc performance entries.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const heap = new URL("../../../src/cli/memory-policy.ts", import.meta.url).href;
const shebangFlags = readFileSync(new URL("../../../bin/migrate", import.meta.url), "utf8")
  .split("\n")[0]!
  .split(/\s+/)
  .filter((word) => word.startsWith("--"));

/**
 * Full collections only where they are asked for or where an allocation needs one: without these
 * V8 marks incrementally and on helper threads, and on a loaded machine a cycle begun while the
 * body allocated finished after its next mark, a second "major" the policy never asked for. The
 * policy under test is the same with or without them.
 */
const ATOMIC_GC = ["--single-threaded-gc", "--no-incremental-marking"];

/**
 * Runs `body` (the policy's exports, `keep` and `mark(label)` in scope) and returns the gc kinds
 * seen, in order, with the body's marks among them.
 */
function collectionsDuring(body: string, flags = [...shebangFlags, ...ATOMIC_GC]): string[] {
  const script = `
import { constants, PerformanceObserver, performance } from "node:perf_hooks";
import { setImmediate as turn } from "node:timers/promises";
import { collectBetweenSteps, collectingThrottle, collectOnStepStart, collectWhileRunning, noteBytesMoved } from ${JSON.stringify(heap)};
const seen = [];
let delivered = () => {};
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.entryType === "mark") {
      seen.push(entry.name);
      delivered(entry.name);
    } else seen.push(entry.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR ? "major" : "minor");
  }
});
observer.observe({ entryTypes: ["gc", "mark"] });
// On globalThis: a module variable no later code reads is not kept across an await, and V8
// collected what the body meant to hold.
const keep = (globalThis.keep = []);
// Notes where the body is, in order with the gc entries: node queues a collection's entry from
// an immediate, and the observer delivers entries in the order they were queued, so a mark
// queued after those immediates ran arrives after every collection before it. Awaiting its
// delivery replaces a guessed sleep.
const mark = async (label) => {
  await turn();
  await turn();
  const arrived = new Promise((resolve) => { delivered = (name) => name === label && resolve(); });
  performance.mark(label);
  await arrived;
};
${body}
await mark("end");
observer.disconnect();
console.log(JSON.stringify(seen.filter((entry) => entry !== "end")));
`;
  const out = execFileSync(
    process.execPath,
    [...flags, "--import", "tsx", "--input-type=module", "-e", script],
    {
      encoding: "utf8",
    },
  );
  return JSON.parse(out) as string[];
}

/** The full collections seen between two of the body's marks. */
function majorsBetween(seen: string[], from: string, to: string): string[] {
  return seen.slice(seen.indexOf(from) + 1, seen.indexOf(to)).filter((kind) => kind === "major");
}

describe("memory policy", () => {
  it("bin/migrate starts node with --expose-gc and a small young generation", () => {
    expect(shebangFlags).toContain("--expose-gc");
    expect(shebangFlags.some((flag) => flag.startsWith("--max-semi-space-size="))).toBe(true);
  });

  it("makes a minor collection per 2 MiB moved that left 8 MiB of buffers outside the heap, none otherwise", () => {
    // Garbage buffers as a stream leaves them: 256 KiB per 64 KiB moved, referenced by nothing.
    const garbage = "Buffer.alloc(256 * 1024, i);";
    expect(
      collectionsDuring(`for (let i = 0; i < 31; i++) { noteBytesMoved(64 * 1024); ${garbage} }`),
    ).toEqual([]);
    expect(collectionsDuring("for (let i = 0; i < 64; i++) noteBytesMoved(64 * 1024);")).toEqual([]);
    const moved = collectionsDuring(`for (let i = 0; i < 64; i++) { ${garbage} noteBytesMoved(64 * 1024); }`);
    expect(moved).toEqual(["minor", "minor"]);
  });

  it("makes no minor collection once V8 freed the buffers itself", () => {
    const seen = collectionsDuring(`
for (let i = 0; i < 40; i++) Buffer.alloc(256 * 1024, i);
for (let i = 0; i < 31; i++) noteBytesMoved(64 * 1024);
await mark("start");
gc({ type: "minor" });
await mark("freed");
for (let i = 0; i < 33; i++) { Buffer.alloc(64 * 1024, i); noteBytesMoved(64 * 1024); }
await mark("moved");`);
    expect(seen.slice(seen.indexOf("freed") + 1, seen.indexOf("moved")), seen.join(" ")).toEqual([]);
  });

  it("collects fully when buffers outside the heap outlive the minor collections by 16 MiB", () => {
    const seen = collectionsDuring(`
noteBytesMoved(2 * 1024 * 1024);
await mark("start");
for (let i = 0; i < 20; i++) keep.push(Buffer.alloc(1024 * 1024, i));
noteBytesMoved(2 * 1024 * 1024);
await mark("held");
noteBytesMoved(2 * 1024 * 1024);
await mark("again");`);
    expect(majorsBetween(seen, "start", "held"), seen.join(" ")).toEqual(["major"]);
    expect(majorsBetween(seen, "held", "again")).toEqual([]);
  });

  it("collects fully between steps only once the heap has grown by 16 MiB", () => {
    const seen = collectionsDuring(`
collectBetweenSteps();
await mark("start");
for (let i = 0; i < 600_000; i++) keep.push({ i, s: "x" + i });
await mark("grown");
collectBetweenSteps();
await mark("collected");
collectBetweenSteps();
await mark("again");`);
    expect(majorsBetween(seen, "grown", "collected"), seen.join(" ")).toEqual(["major"]);
    expect(majorsBetween(seen, "collected", "again")).toEqual([]);
  });

  it("counts the bytes the command's throttle lets through, after the budget allowed them", () => {
    const seen = collectionsDuring(`
const passed = [];
const throttle = collectingThrottle({ take: async (bytes) => { passed.push(bytes); } });
for (let i = 0; i < 64; i++) { Buffer.alloc(256 * 1024, i); await throttle.take(64 * 1024); }
await mark("moved");
if (passed.length !== 64) throw new Error("the inner throttle saw " + passed.length + " takes");`);
    expect(seen.filter((kind) => kind !== "moved")).toEqual(["minor", "minor"]);
  });

  it("collects between steps when a step-start event passes, and forwards every event", () => {
    const seen = collectionsDuring(`
const forwarded = [];
const onEvent = collectOnStepStart((event) => forwarded.push(event.type));
onEvent({ type: "step-end" });
await mark("start");
for (let i = 0; i < 600_000; i++) keep.push({ i, s: "x" + i });
await mark("grown");
onEvent({ type: "step-progress" });
await mark("progress");
onEvent({ type: "step-start" });
await mark("started");
if (forwarded.join() !== "step-end,step-progress,step-start") throw new Error(forwarded.join());`);
    expect(majorsBetween(seen, "grown", "progress"), seen.join(" ")).toEqual([]);
    expect(majorsBetween(seen, "progress", "started"), seen.join(" ")).toEqual(["major"]);
  });

  it("collects while a command runs once the heap has grown by 16 MiB, without a step starting", () => {
    const seen = collectionsDuring(`
for (let i = 0; i < 600_000; i++) keep.push({ i, s: "w" + i });
collectBetweenSteps();
await mark("start");
const stop = collectWhileRunning();
await new Promise((resolve) => setTimeout(resolve, 600));
await mark("idle");
for (let i = 0; i < 600_000; i++) keep.push({ i, s: "x" + i });
await new Promise((resolve) => setTimeout(resolve, 600));
await mark("grown");
stop();
for (let i = 0; i < 600_000; i++) keep.push({ i, s: "y" + i });
await new Promise((resolve) => setTimeout(resolve, 600));
await mark("stopped");`);
    expect(majorsBetween(seen, "start", "idle"), seen.join(" ")).toEqual([]);
    expect(majorsBetween(seen, "idle", "grown"), seen.join(" ")).toEqual(["major"]);
    expect(majorsBetween(seen, "grown", "stopped"), seen.join(" ")).toEqual([]);
  });

  it("does nothing when node runs without --expose-gc", () => {
    const none = collectionsDuring(
      "for (let i = 0; i < 64; i++) noteBytesMoved(1024 * 1024); collectBetweenSteps();",
      [],
    );
    expect(none).toEqual([]);
  });
});
