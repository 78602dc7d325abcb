/**
 * plan → run plan (pure): waves in order, each workload's five steps with their typed inputs
 * (plan-inputs.ts), the actions describing them, and which steps the journal says are already
 * done. `migrate plan` prints this object; `apply` executes it, handing each step its input.
 */
import { groupWaves } from "../../graph/waves.ts";
import type { InventoryFacts } from "../../plan/inventory-facts.ts";
import type { Host, Plan, Tenant, Workload, Zone } from "../../plan/schema.ts";
import type { StepHooks } from "../../steps/hooks.ts";
import type { CutoverInput, PlannedInput, StepInputs } from "../../steps/inputs.ts";
import { STEPS, type StepName } from "../../steps/names.ts";
import type { Action, PlannedTenant } from "./plan-actions.ts";
import { cutoverActions } from "./plan-cutover.ts";
import { type PlannedDatabase, type PreflightFacts, plannedDatabase } from "./plan-databases.ts";
import { hookActions, stepHooks } from "./plan-hooks.ts";
import { workloadInputs } from "./plan-inputs.ts";
import {
  type Described,
  reconfigureActions,
  snapshotActions,
  transferActions,
  verifyActions,
} from "./plan-steps.ts";

/** Version of the run-plan data and of `migrate plan --json` (schema/plan-output.schema.json). */
export const RUN_PLAN_VERSION = 1;

export type StepStatus = "pending" | "done";

/** A planned step: its name and typed input (what apply hands the step), with its state and actions. */
export type RunStep = PlannedInput & {
  /** Idempotency key `${workload}/${step}`, as journaled. */
  key: string;
  status: StepStatus;
  /** Cutover only: the maintenance window it must run in. */
  window?: { start: string; end: string };
  /** The input described, action by action (`summary` is the human form). */
  actions: Action[];
  /** The plan's hooks around this step (absent when it has none); apply runs exactly these. */
  hooks?: StepHooks;
};

export interface RunWorkload {
  name: string;
  bureau: string;
  kind: Workload["kind"];
  classification: number;
  zone: Zone;
  wave: number;
  source: string;
  target: string;
  tenant: PlannedTenant;
  dependsOn: string[];
  window?: { start: string; end: string };
  downtimeBudget?: string;
  /** done: every step finished; partial: some; pending: none. */
  status: "pending" | "partial" | "done";
  steps: RunStep[];
  /** Per database: the mode apply would choose and why (with the replication preflight's findings). */
  databases?: PlannedDatabase[];
}

export interface RunWave {
  wave: number;
  status: "pending" | "done";
  workloads: RunWorkload[];
}

export interface RunPlan {
  version: typeof RUN_PLAN_VERSION;
  plan: { name: string; owner: string; hash?: string };
  defaults: {
    concurrency: number;
    perHostConcurrency: number;
    perTenantConcurrency: number;
    retries: number;
    bandwidth?: string;
    timezone: string;
  };
  summary: {
    waves: number;
    workloads: number;
    steps: number;
    pendingSteps: number;
    doneSteps: number;
    pendingWorkloads: number;
  };
  waves: RunWave[];
}

export interface PlanRunOptions {
  inventory?: InventoryFacts;
  /** Idempotency keys of steps already finished per the journal. */
  completed?: ReadonlySet<string>;
  /** sha256 of the plan file, carried into the output so CI can pin it. */
  planHash?: string;
  /** The replication preflight's findings (from the hosts or an inventory); absent: not run. */
  preflight?: PreflightFacts;
}

const BUILDERS: Record<StepName, (described: Described) => Action[]> = {
  snapshot: snapshotActions,
  transfer: transferActions,
  reconfigure: reconfigureActions,
  cutover: cutoverActions,
  verify: verifyActions,
};

/** Workloads must reference existing hosts: planRun expects a plan that passed validation. */
export function planRun(plan: Plan, options: PlanRunOptions = {}): RunPlan {
  const hosts = new Map<string, Host>();
  const tenantOf = new Map<string, Tenant>();
  for (const host of plan.sources) hosts.set(host.name, host);
  for (const tenant of plan.tenants) {
    for (const host of tenant.hosts) {
      hosts.set(host.name, host);
      tenantOf.set(host.name, tenant);
    }
  }
  const completed = options.completed ?? new Set<string>();
  let steps = 0;
  let doneSteps = 0;
  let pendingWorkloads = 0;

  const waves: RunWave[] = groupWaves(plan.workloads).map(({ wave, members }) => {
    const workloads = members.map((workload) => {
      const planned = planWorkload(workload, hosts, tenantOf, completed, options);
      steps += planned.steps.length;
      doneSteps += planned.steps.filter((s) => s.status === "done").length;
      if (planned.status !== "done") pendingWorkloads++;
      return planned;
    });
    return { wave, status: workloads.every((w) => w.status === "done") ? "done" : "pending", workloads };
  });

  const { concurrency, perHostConcurrency, perTenantConcurrency, retries, bandwidth, timezone } =
    plan.defaults;
  const defaults: RunPlan["defaults"] = {
    concurrency,
    perHostConcurrency,
    perTenantConcurrency,
    retries,
    timezone,
  };
  if (bandwidth !== undefined) defaults.bandwidth = bandwidth;
  const header: RunPlan["plan"] = { name: plan.metadata.name, owner: plan.metadata.owner };
  if (options.planHash !== undefined) header.hash = options.planHash;
  return {
    version: RUN_PLAN_VERSION,
    plan: header,
    defaults,
    summary: {
      waves: waves.length,
      workloads: plan.workloads.length,
      steps,
      pendingSteps: steps - doneSteps,
      doneSteps,
      pendingWorkloads,
    },
    waves,
  };
}

function planWorkload(
  workload: Workload,
  hosts: ReadonlyMap<string, Host>,
  tenantOf: ReadonlyMap<string, Tenant>,
  completed: ReadonlySet<string>,
  options: PlanRunOptions,
): RunWorkload {
  const { inventory } = options;
  const source = hosts.get(workload.source);
  const target = hosts.get(workload.target);
  const tenant = tenantOf.get(workload.target);
  if (!source || !target || !tenant) {
    throw new TypeError(
      `planRun: workload ${workload.name} references unknown hosts; validate the plan first`,
    );
  }
  const inputs = workloadInputs(workload, hosts);
  const described: Described = inventory ? { inputs, inventory } : { inputs };
  const window = workload.window ? { start: workload.window.start, end: workload.window.end } : undefined;
  const steps = STEPS.map((name): RunStep => {
    const key = `${workload.name}/${name}`;
    const step = {
      ...planned(inputs, name),
      key,
      status: completed.has(key) ? "done" : "pending",
      actions: BUILDERS[name](described),
    } satisfies RunStep as RunStep;
    if (name === "cutover" && window) step.window = window;
    const hooks = stepHooks(workload, name);
    if (hooks) {
      step.hooks = hooks;
      step.actions = [...hookActions(hooks.before), ...step.actions, ...hookActions(hooks.after)];
    }
    return step;
  });
  const done = steps.filter((s) => s.status === "done").length;
  const result: RunWorkload = {
    name: workload.name,
    bureau: workload.bureau,
    kind: workload.kind,
    classification: workload.classification,
    zone: workload.zone,
    wave: workload.wave,
    source: source.name,
    target: target.name,
    tenant: { name: tenant.name, cloud: tenant.cloud, zone: tenant.zone, arch: tenant.arch },
    dependsOn: [...workload.dependsOn],
    status: done === steps.length ? "done" : done === 0 ? "pending" : "partial",
    steps,
  };
  if (window) result.window = window;
  if (inputs.snapshot.databases.length > 0)
    result.databases = inputs.snapshot.databases.map((db) =>
      plannedDatabase(workload.name, db, db.mode === "replicate", options.preflight),
    );
  if (workload.downtimeBudget !== undefined) result.downtimeBudget = workload.downtimeBudget;
  return result;
}

/** One step's name with its input, typed together. */
function planned(inputs: StepInputs, name: StepName): PlannedInput {
  switch (name) {
    case "snapshot":
      return { name, input: inputs.snapshot };
    case "transfer":
      return { name, input: inputs.transfer };
    case "reconfigure":
      return { name, input: inputs.reconfigure };
    case "cutover":
      return { name, input: inputs.cutover };
    case "verify":
      return { name, input: inputs.verify };
  }
}

/** The cutover's input in a planned workload (its rollback needs it even when the cutover is done). */
export function cutoverInput(workload: RunWorkload): CutoverInput {
  for (const step of workload.steps) if (step.name === "cutover") return step.input;
  throw new TypeError(`cutoverInput: ${workload.name} has no cutover step`);
}
