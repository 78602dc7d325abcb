/**
 * Scheduling overhead: 200 workloads whose five steps do nothing, through the whole engine
 * (planner, scheduler with global/per-host/per-tenant limits, runner, journal, events), against
 * a baseline of the same 1,000 no-op step promises run with a bare Promise.all in the same run.
 * Measured twice: with the in-memory journal (pure scheduling cost) and with the real JSONL
 * journal, where every record is fsynced (what apply really pays).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileJournal, type Journal, MemoryJournal } from "../src/engine/journal/journal.ts";
import { applyPlan } from "../src/engine/running/apply.ts";
import { Plan } from "../src/plan/schema.ts";
import type { StepOutputs } from "../src/steps/contracts.ts";
import { STEPS, type StepName } from "../src/steps/names.ts";
import type { Step, StepImplementations } from "../src/steps/types.ts";

const WORKLOADS = Number(process.env.BENCH_WORKLOADS ?? 200);
const REPETITIONS = Number(process.env.BENCH_REPETITIONS ?? 5);
const KEY = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** 200 workloads over 20 source hosts and 4 tenants in 4 waves, every 5th depending on its predecessor. */
function benchPlan(): Plan {
  const host = (name: string, i: number) => ({
    name,
    address: `127.0.20.${i + 1}`,
    user: "root",
    auth: { agent: true as const },
    hostKey: KEY,
  });
  return Plan.parse({
    apiVersion: "migrate/v1",
    kind: "MigrationPlan",
    metadata: { name: "bench", owner: "bench" },
    defaults: { concurrency: 32, perHostConcurrency: 4, perTenantConcurrency: 16 },
    sources: Array.from({ length: 20 }, (_, i) => host(`src-${i}`, i)),
    tenants: Array.from({ length: 4 }, (_, t) => ({
      name: `tenant-${t}`,
      cloud: "bench",
      zone: "egov-intranet",
      maxClassification: 3,
      arch: "x86_64",
      hosts: [host(`tgt-${t}`, 100 + t)],
    })),
    workloads: Array.from({ length: WORKLOADS }, (_, i) => ({
      name: `w-${i}`,
      bureau: `bureau-${i % 10}`,
      kind: "generic",
      classification: 2,
      zone: "egov-extranet",
      wave: 1 + Math.floor((i * 4) / WORKLOADS),
      dependsOn: i % 5 === 4 ? [`w-${i - 1}`] : [],
      source: `src-${i % 20}`,
      target: `tgt-${i % 4}`,
    })),
  });
}

// Steps that do nothing: the bench measures the engine, so their outputs are never read.
const noop = async () => ({}) as StepOutputs[StepName];
const steps = Object.fromEntries(
  STEPS.map((name): [StepName, Step] => [name, { name, run: noop, undo: async () => {} }]),
) as unknown as StepImplementations;

/** Wall time, and this process's CPU time (user + system): on a busy machine the CPU figure is the steadier one. */
interface Sample {
  wallMs: number;
  cpuMs: number;
}

async function engineOnce(plan: Plan, journal: Journal, workDir: string): Promise<Sample> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const result = await applyPlan({
    plan,
    planFile: "bench.yaml",
    planHash: "bench",
    journal,
    steps,
    remote: async () => {
      throw new Error("no hosts in the scheduler bench");
    },
    onEvent: () => {},
    signal: new AbortController().signal,
    workDir: () => workDir,
  });
  const used = process.cpuUsage(cpu);
  const elapsed = { wallMs: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
  if (result.counts.succeeded !== WORKLOADS)
    throw new Error(`bench run did not succeed: ${JSON.stringify(result.counts)}`);
  return elapsed;
}

async function baselineOnce(): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WORKLOADS }, async () => {
      for (const name of STEPS) await steps[name].run({} as never, {} as never);
    }),
  );
  return performance.now() - started;
}

export async function run(): Promise<void> {
  const plan = benchPlan();
  const work = mkdtempSync(join(tmpdir(), "migrate-bench-scheduler-"));
  try {
    const baseline: number[] = [];
    const memory: Sample[] = [];
    const file: Sample[] = [];
    // One warm-up of each, so module loading and JIT do not land in the first sample.
    await baselineOnce();
    await engineOnce(plan, new MemoryJournal(), work);
    for (let i = 0; i < REPETITIONS; i++) {
      baseline.push(await baselineOnce());
      memory.push(await engineOnce(plan, new MemoryJournal(), work));
      const journal = FileJournal.open(join(work, `run-${i}`, "journal.jsonl"));
      try {
        file.push(await engineOnce(plan, journal, work));
      } finally {
        await journal.close();
      }
    }
    const b = median(baseline);
    const m = median(memory.map((x) => x.wallMs));
    const mc = median(memory.map((x) => x.cpuMs));
    const f = median(file.map((x) => x.wallMs));
    const fc = median(file.map((x) => x.cpuMs));
    const records = 2 + WORKLOADS * (STEPS.length * 2 + 1);
    const per = (ms: number) => `${(ms / WORKLOADS).toFixed(2)} ms/workload`;
    console.log(`${WORKLOADS} workloads × ${STEPS.length} no-op steps, median of ${REPETITIONS}`);
    console.log(
      `  baseline (bare Promise.all):      ${b.toFixed(2)} ms total, ${((b / WORKLOADS) * 1000).toFixed(1)} µs/workload`,
    );
    console.log(
      `  engine, in-memory journal:        ${m.toFixed(0)} ms wall (${per(m)}), ${mc.toFixed(0)} ms CPU (${per(mc)})`,
    );
    console.log(
      `  engine, JSONL journal (fsynced):  ${f.toFixed(0)} ms wall (${per(f)}), ${fc.toFixed(0)} ms CPU (${per(fc)}); ${records} records`,
    );
    console.log(
      `  overhead vs baseline: ${(m - b).toFixed(0)} ms in memory, ${(f - b).toFixed(0)} ms with the durable journal`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
