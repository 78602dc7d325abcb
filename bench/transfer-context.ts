/**
 * A real StepContext for benchmarks, with the step inputs the planner derives: the fleet plan
 * plus a `bench` workload, remotes from the real SSH pool, an unlimited throttle (counted by the
 * cli's memory policy, as apply's is), and
 * checkpoints kept in memory. It lets the benchmark time the transfer and the final sync steps
 * themselves, without the rest of apply around them.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { collectingThrottle } from "../src/cli/memory-policy.ts";
import { workloadInputs } from "../src/engine/planning/plan-inputs.ts";
import { UNLIMITED } from "../src/engine/running/throttle.ts";
import { Plan } from "../src/plan/schema.ts";
import { planHosts, SshPool } from "../src/remote/pool.ts";
import type { StepCheckpoints, StepOutputs } from "../src/steps/contracts.ts";
import type { StepInputs } from "../src/steps/inputs.ts";
import type { StepName } from "../src/steps/names.ts";
import type { StepContext } from "../src/steps/types.ts";

export interface BenchRun {
  /** The `bench` workload's step inputs, as the planner derives them. */
  inputs: StepInputs;
  context<S extends StepName>(step: S): StepContext<StepCheckpoints[S]>;
  record<S extends StepName>(step: S, outputs: StepOutputs[S]): void;
  close(): Promise<void>;
}

/** The fleet plan with one `bench` workload moving `paths` from source to target. */
export function benchPlanInput(
  planFile: string,
  workload: { source: string; target: string; paths: string[] },
): Record<string, unknown> & { workloads: unknown[] } {
  const input = parse(readFileSync(planFile, "utf8"));
  input.workloads = [
    {
      name: "bench",
      bureau: "bench",
      kind: "generic",
      classification: 1,
      zone: "internet",
      portable: true,
      wave: 1,
      ...workload,
    },
  ];
  return input;
}

export function benchRun(
  planFile: string,
  workload: { source: string; target: string; paths: string[] },
): BenchRun {
  const plan = Plan.parse(benchPlanInput(planFile, workload));
  const pool = new SshPool({ hosts: planHosts(plan) });
  const outputs: { [S in StepName]?: StepOutputs[S] } = {};
  const checkpoints: { [S in StepName]?: StepCheckpoints[S] } = {};
  const workDir = mkdtempSync(join(tmpdir(), "bench-transfer-"));
  const signal = new AbortController().signal;
  const hosts = new Map(planHosts(plan).map((host) => [host.name, host]));
  const throttle = collectingThrottle(UNLIMITED);
  return {
    inputs: workloadInputs(plan.workloads[0]!, hosts),
    context: <S extends StepName>(step: S): StepContext<StepCheckpoints[S]> => ({
      remote: async (host) => pool.remote(host),
      signal,
      log: { info: () => {}, warn: () => {}, error: () => {} },
      workDir,
      outputsOf: (earlier) => outputs[earlier],
      lastCheckpoint: checkpoints[step],
      checkpoint: async (data) => {
        checkpoints[step] = data;
      },
      progress: () => {},
      throttle,
      now: () => new Date(),
      options: { ignoreWindow: true },
    }),
    record: (step, data) => {
      outputs[step] = data;
    },
    close: () => pool.close(),
  };
}

/** Peak resident set size while `body` runs, sampled every 20 ms. */
export async function peakRss<T>(body: () => Promise<T>): Promise<{ value: T; peakBytes: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  try {
    const value = await body();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, peakBytes: peak };
  } finally {
    clearInterval(timer);
  }
}

/**
 * Seconds of CPU the whole machine spent so far (user, nice, system, irq, softirq of
 * /proc/stat's first line, at 100 ticks a second): the fleet's hosts share this machine's cores,
 * so a step's difference counts every host's work and the orchestrator's alike.
 */
export function machineCpuSeconds(): number {
  const fields = readFileSync("/proc/stat", "utf8")
    .split("\n", 1)[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = fields;
  return (user + nice + system + irq + softirq) / 100;
}
