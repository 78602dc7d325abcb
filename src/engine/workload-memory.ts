import { STEPS } from "../steps/names.ts";
import type { WorkloadSummary } from "./journal-read.ts";
import type { RunWorkload } from "./planner.ts";
import type { WorkloadMemory } from "./step-runner.ts";

/** What earlier runs left for this workload: outputs of still-valid steps, last checkpoints. */
export function memoryOf(
  workload: RunWorkload,
  hashes: Record<string, string>,
  done: WorkloadSummary | undefined,
): WorkloadMemory {
  const memory: WorkloadMemory = {
    workload,
    inputHash: hashes[workload.name] as string,
    outputs: new Map(),
    checkpoints: new Map(),
  };
  for (const step of STEPS) {
    const key = `${workload.name}/${step}`;
    const state = done?.steps[step];
    if (state?.state === "finished" && state.outputs && done?.completed.has(key))
      memory.outputs.set(step, state.outputs);
    if (state?.lastCheckpoint) memory.checkpoints.set(key, state.lastCheckpoint);
  }
  return memory;
}
