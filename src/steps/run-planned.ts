/**
 * Running a planned step: each step gets exactly the input the run plan carries for it (the
 * switch lets the compiler check that every step's input goes to that step).
 */
import type { PlannedInput } from "./inputs.ts";
import type { StepContext, StepImplementations } from "./types.ts";

/** Run a planned step with its input from the run plan. */
export function runPlannedStep(
  steps: StepImplementations,
  planned: PlannedInput,
  context: StepContext,
): Promise<Record<string, unknown>> {
  switch (planned.name) {
    case "snapshot":
      return steps.snapshot.run(planned.input, context);
    case "transfer":
      return steps.transfer.run(planned.input, context);
    case "reconfigure":
      return steps.reconfigure.run(planned.input, context);
    case "cutover":
      return steps.cutover.run(planned.input, context);
    case "verify":
      return steps.verify.run(planned.input, context);
  }
}
