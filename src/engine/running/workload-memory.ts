import type { StepName } from "../../steps/names.ts";
import { STEPS } from "../../steps/names.ts";
import type { WorkloadSummary } from "../journal/journal-fold.ts";
import type { RunWorkload } from "../planning/planner.ts";
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
    outputs: {},
    checkpoints: {},
    beforeHooksDone: new Map(done?.beforeHooksDone ?? []),
  };
  const recall = <S extends StepName>(step: S): void => {
    const state = done?.steps[step];
    if (state?.state === "finished" && state.outputs && done?.completed.has(`${workload.name}/${step}`))
      memory.outputs[step] = state.outputs;
    if (state?.lastCheckpoint) memory.checkpoints[step] = state.lastCheckpoint;
  };
  for (const step of STEPS) recall(step);
  return memory;
}
