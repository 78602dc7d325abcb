/** The five steps by name, as the engine's apply takes them. */
import { cutover } from "./cutover.ts";
import { reconfigure } from "./reconfigure.ts";
import { snapshot } from "./snapshot.ts";
import { transfer } from "./transfer.ts";
import type { StepRegistry } from "./types.ts";
import { verify } from "./verify.ts";

export const stepImplementations: StepRegistry = {
  snapshot,
  transfer,
  reconfigure,
  cutover,
  verify,
};

/** The same registry under the constant-style name some callers use. */
export const STEP_IMPLEMENTATIONS = stepImplementations;
