/**
 * What each run kind of the engine does per workload (apply.ts runs them all): which steps, what
 * after them, and which workloads a kind refuses.
 */
import { UserError } from "../../errors.ts";
import type { Plan } from "../../plan/schema.ts";
import { STEPS, type StepName } from "../../steps/names.ts";
import { cutoverStarted, type JournalSummary, type Readiness } from "../journal/journal-fold.ts";
import { cutoverInput, type RunWorkload } from "../planning/planner.ts";
import type { WorkloadRun } from "./workload-runner.ts";

/**
 * The run kinds of this one engine: `apply` carries out what remains (cutover included);
 * `sync` repeats snapshot, transfer and reconfigure without a freeze, so the cutover's final
 * delta stays small; `rehearse` does the same and then rehearses on the target
 * (steps/rehearse.ts). Neither of the last two touches the source's services or the traffic.
 */
export type RunKind = "apply" | "rehearse" | "sync";

/** The steps sync and rehearse repeat: everything before the freeze. */
export const PRE_CUTOVER: readonly StepName[] = ["snapshot", "transfer", "reconfigure"];

/** Readiness a dependency needs for its dependants to sync or rehearse. */
export const READY: ReadonlySet<Readiness> = new Set([
  "ready for cutover",
  "rehearsed",
  "cut over",
  "verified",
]);

/** Sync and rehearse never touch a workload whose target serves (or may serve) traffic. */
export function refuseCutOver(kind: RunKind, selected: Plan["workloads"], summary: JournalSummary): void {
  const cut = selected.filter((workload) => cutoverStarted(summary.workloads.get(workload.name)));
  if (cut.length === 0) return;
  const rest = selected.filter((workload) => !cut.includes(workload)).map((workload) => workload.name);
  throw new UserError(
    "usage",
    `${kind} refused: ${cut.map((w) => w.name).join(", ")} ${cut.length === 1 ? "was" : "were"} already cut over (the target may serve traffic); ${kind} would restart its services and overwrite what it wrote`,
    {
      hint:
        rest.length > 0
          ? `select the others: --only ${rest.join(",")}`
          : "`migrate rollback` first if the workload must be migrated again",
    },
  );
}

/** The steps a run of this kind takes for a planned workload, and what it does after them. */
export function stepsFor(
  planned: RunWorkload,
  options: { kind?: RunKind; stopBefore?: StepName },
): Pick<WorkloadRun, "steps" | "rehearse" | "doneReason"> {
  const kind = options.kind ?? "apply";
  if (kind !== "apply") {
    const steps = planned.steps.filter((step) => PRE_CUTOVER.includes(step.name));
    if (kind === "sync") return { steps, doneReason: "synced without a freeze; ready for cutover" };
    const verify = planned.steps.find((step) => step.name === "verify");
    if (verify?.name !== "verify") throw new TypeError(`${planned.name} has no verify step`);
    return { steps, rehearse: { cutover: cutoverInput(planned), verify: verify.input } };
  }
  const pending = planned.steps.filter((step) => step.status === "pending");
  if (!options.stopBefore) return { steps: pending };
  const limit = STEPS.indexOf(options.stopBefore);
  return {
    steps: pending.filter((step) => STEPS.indexOf(step.name) < limit),
    doneReason: `stopped before ${options.stopBefore} as asked; ${options.stopBefore === "cutover" ? "ready for cutover" : `next: ${options.stopBefore}`}`,
  };
}
