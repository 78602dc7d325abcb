/** The plan and where its state lives, for commands that read a run's journal or logs. */
import { resolveStateRoot } from "../engine/state-dir.ts";
import { type LoadedPlan, loadPlanOrThrow } from "../plan/load.ts";

export interface PlanState {
  loaded: LoadedPlan;
  root: string;
  planName: string;
}

export async function resolvePlanState(planFile: string, stateDir: string | undefined): Promise<PlanState> {
  const loaded = await loadPlanOrThrow(planFile);
  const root = resolveStateRoot(planFile, loaded.plan.defaults.stateDir, stateDir);
  return { loaded, root, planName: loaded.plan.metadata.name };
}
