/**
 * Running a planned step: each step gets exactly the input the run plan carries for it (the
 * switch lets the compiler check that every step's input goes to that step).
 */
import type { StepCheckpoints, StepOutputs } from "./contracts.ts";
import type { PlannedInput } from "./inputs.ts";
import type { StepName } from "./names.ts";
import type { StepContext, StepImplementations } from "./types.ts";

/** Run a planned step with its input from the run plan; the context is the one its label got. */
export function runPlannedStep(
  steps: StepImplementations,
  planned: PlannedInput,
  context: StepContext<StepCheckpoints[StepName]>,
): Promise<StepOutputs[StepName]> {
  // The engine builds each context for the step it runs, so its checkpoint is that step's.
  const own = <S extends StepName>() => context as StepContext<StepCheckpoints[S]>;
  switch (planned.name) {
    case "snapshot":
      return steps.snapshot.run(planned.input, own<"snapshot">());
    case "transfer":
      return steps.transfer.run(planned.input, own<"transfer">());
    case "reconfigure":
      return steps.reconfigure.run(planned.input, own<"reconfigure">());
    case "cutover":
      return steps.cutover.run(planned.input, own<"cutover">());
    case "verify":
      return steps.verify.run(planned.input, own<"verify">());
  }
}
