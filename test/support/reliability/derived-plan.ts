/**
 * Small plans derived from the fleet's generated plan: only the workloads a suite needs, in a
 * private temp directory with its own state directory, optionally edited (hostile names,
 * bandwidth limits, wrong host keys).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { readFleet } from "../../../fixtures/fleet/index.ts";
import type { PlanInput } from "../../../src/plan/schema.ts";

export interface DerivedPlan {
  dir: string;
  planFile: string;
  stateDir: string;
  planName: string;
  plan: PlanInput;
}

export interface DeriveOptions {
  /** Workloads to keep, by name; dependencies on dropped workloads are removed. */
  workloads: string[];
  /** metadata.name (default: reliability-<first workload>). */
  name?: string;
  edit?: (plan: PlanInput) => void;
}

export function fleetPlan(): PlanInput {
  return parse(readFileSync(readFleet().planFile, "utf8")) as PlanInput;
}

export function derivePlan(options: DeriveOptions): DerivedPlan {
  const plan = fleetPlan();
  const keep = new Set(options.workloads);
  plan.workloads = (plan.workloads ?? []).filter((w) => keep.has(w.name as string));
  for (const workload of plan.workloads) {
    if (workload.dependsOn) workload.dependsOn = workload.dependsOn.filter((name) => keep.has(name));
  }
  const planName = options.name ?? `reliability-${options.workloads[0]}`;
  plan.metadata = { ...plan.metadata, name: planName };
  options.edit?.(plan);
  const dir = mkdtempSync(join(tmpdir(), `${planName}-`));
  const planFile = join(dir, "plan.yaml");
  writeFileSync(planFile, stringify(plan, { lineWidth: 0 }));
  return { dir, planFile, stateDir: join(dir, "state"), planName, plan };
}

export function workloadOf(plan: PlanInput, name: string) {
  const workload = plan.workloads?.find((w) => w.name === name);
  if (!workload) throw new Error(`no workload ${name} in the plan`);
  return workload;
}
