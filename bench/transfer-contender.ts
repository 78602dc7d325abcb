/**
 * One contender of transfer-shapes.bench.ts's before/after comparison, in a process of its own
 * started with the V8 flags of its checkout's bin/migrate: the snapshot and transfer steps of
 * the checkout given (its own src/, its own node_modules), timed over the transfer step alone.
 * Prints one JSON line: wall and CPU seconds of the step (node's, and the whole machine's: the
 * fleet's hosts run on it), garbage collection, wire bytes, peak RSS.
 * Usage: node <flags> --import tsx bench/transfer-contender.ts <checkout> <plan file> <tree>
 */
import { join } from "node:path";
import { constants, PerformanceObserver } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

const [checkout, planFile, tree] = process.argv.slice(2) as [string, string, string];
const from = (path: string) => import(pathToFileURL(join(checkout, path)).href);
const { snapshot } = await from("src/steps/snapshot.ts");
const { transfer } = await from("src/steps/transfer.ts");
const { benchRun, peakRss } = await from("bench/transfer-context.ts");
// This checkout's, not the contender's: an older checkout may not have it.
const { machineCpuSeconds } = await import("./transfer-context.ts");

const bench = benchRun(planFile, { source: "portal-src", target: "tgt-1", paths: [tree] });
bench.record("snapshot", await snapshot.run(bench.inputs.snapshot, bench.context("snapshot")));
const gc = { count: 0, ms: 0, majors: 0, majorMs: 0 };
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.count++;
    gc.ms += entry.duration;
    if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
      gc.majors++;
      gc.majorMs += entry.duration;
    }
  }
});
observer.observe({ entryTypes: ["gc"] });
const cpu = process.cpuUsage();
const machine = machineCpuSeconds();
const started = performance.now();
const moved = await peakRss(() => transfer.run(bench.inputs.transfer, bench.context("transfer")));
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
const machineCpu = machineCpuSeconds() - machine;
observer.disconnect();
await bench.close();
console.log(
  JSON.stringify({
    seconds,
    cpuUser: used.user / 1e6,
    cpuSystem: used.system / 1e6,
    machineCpu,
    gcCount: gc.count,
    gcSeconds: gc.ms / 1000,
    gcMajors: gc.majors,
    gcMajorSeconds: gc.majorMs / 1000,
    bytesSent: moved.value.bytesSent,
    peakRssMiB: moved.peakBytes / 1024 / 1024,
  }),
);
