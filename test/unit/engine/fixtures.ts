/**
 * Test data and in-memory steps for engine unit tests. The steps here are fakes of the Step
 * seam on purpose: they let the scheduler and journal be tested without hosts. End-to-end tests
 * use the real steps on the real fleet.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EngineEvent, OnEvent } from "../../../src/engine/events.ts";
import { MemoryJournal } from "../../../src/engine/journal/journal.ts";
import { planRun, type RunWorkload } from "../../../src/engine/planning/planner.ts";
import type { ApplyOptions } from "../../../src/engine/running/apply.ts";
import { Plan, type PlanInput } from "../../../src/plan/schema.ts";
import type { Remote } from "../../../src/remote/types.ts";
import type { StepOutputs } from "../../../src/steps/contracts.ts";
import { STEPS, type StepName } from "../../../src/steps/names.ts";
import type { StepContext, StepImplementations } from "../../../src/steps/types.ts";
import { OUTPUTS } from "../../support/step-outputs.ts";

const KEY = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

export interface WorkloadSpec {
  name: string;
  wave?: number;
  source?: string;
  tenant?: string;
  dependsOn?: string[];
  downtimeBudget?: string;
  window?: { start: string; end: string };
}

/** A plan with one source host per distinct `source`, one tenant (one host) per distinct `tenant`. */
export function makePlan(specs: WorkloadSpec[], defaults: PlanInput["defaults"] = {}): Plan {
  const sources = [...new Set(specs.map((s) => s.source ?? "src-1"))];
  const tenants = [...new Set(specs.map((s) => s.tenant ?? "tenant-a"))];
  const host = (name: string, i: number) => ({
    name,
    address: `127.0.9.${i + 1}`,
    user: "root",
    auth: { agent: true as const },
    hostKey: KEY,
  });
  const input: PlanInput = {
    apiVersion: "migrate/v1",
    kind: "MigrationPlan",
    metadata: { name: "unit-plan", owner: "tests" },
    defaults: { retries: 2, ...defaults },
    sources: sources.map(host),
    tenants: tenants.map((name, i) => ({
      name,
      cloud: "test-cloud",
      zone: "egov-intranet",
      maxClassification: 3,
      arch: "x86_64",
      hosts: [host(`${name}-host`, 100 + i)],
    })),
    workloads: specs.map((s) => ({
      name: s.name,
      bureau: "finance",
      kind: "generic",
      classification: 2,
      zone: "egov-extranet",
      wave: s.wave ?? 1,
      dependsOn: s.dependsOn ?? [],
      source: s.source ?? "src-1",
      target: `${s.tenant ?? "tenant-a"}-host`,
      ...(s.downtimeBudget ? { downtimeBudget: s.downtimeBudget } : {}),
      ...(s.window ? { window: s.window } : {}),
    })),
  };
  return Plan.parse(input);
}

export type Behaviour = (
  context: StepContext,
  step: StepName,
  workload: string,
) => Promise<Record<string, unknown>>;

/** Records every call and the input it was given; `behave` decides per call (default: succeed with the contract's sample outputs). */
export class RecordingSteps {
  readonly calls: string[] = [];
  readonly undos: string[] = [];
  /** The input each call received, by `workload/step` (the last call's). */
  readonly inputs = new Map<string, unknown>();
  behave: Behaviour = async (context, step) =>
    step === "cutover" ? { ...OUTPUTS.cutover, frozenAt: context.now().toISOString() } : OUTPUTS[step];
  undo: (context: StepContext) => Promise<void> = async () => {};

  /** Fakes: they return whatever `behave` says, not the outputs the real steps promise. */
  get steps(): StepImplementations {
    const entries = STEPS.map((name) => {
      const step = {
        name,
        run: async (input: { workload: string }, context: StepContext) => {
          this.calls.push(`${input.workload}/${name}`);
          this.inputs.set(`${input.workload}/${name}`, input);
          return (await this.behave(context, name, input.workload)) as StepOutputs[StepName];
        },
        ...(name === "cutover"
          ? {
              undo: async (input: { workload: string }, context: StepContext) => {
                this.undos.push(input.workload);
                await this.undo(context);
              },
            }
          : {}),
      };
      return [name, step] as const;
    });
    // Fakes read only the workload's name, which every step input carries.
    return Object.fromEntries(entries) as unknown as StepImplementations;
  }
}

export function tempDir(prefix = "migrate-engine-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function applyOptions(plan: Plan, steps: RecordingSteps, overrides: Partial<ApplyOptions> = {}) {
  const events: EngineEvent[] = [];
  const journal = overrides.journal ?? new MemoryJournal();
  const dir = tempDir();
  const onEvent: OnEvent = (event) => events.push(event);
  const options: ApplyOptions = {
    plan,
    planFile: "plan.yaml",
    planHash: "hash-1",
    journal,
    steps: steps.steps,
    remote: async () => {
      throw new Error("unit tests have no hosts");
    },
    onEvent,
    signal: new AbortController().signal,
    workDir: (workload) => join(dir, workload),
    backoff: { baseMs: 1, maxMs: 2 },
    ...overrides,
  };
  return { options, events, journal: journal as MemoryJournal };
}

export type { Remote };

/** The workload as the run plan carries it (what the engine's memory holds). */
export function plannedOf(plan: Plan, name: string): RunWorkload {
  const found = planRun(plan)
    .waves.flatMap((wave) => wave.workloads)
    .find((workload) => workload.name === name);
  if (!found) throw new TypeError(`plannedOf: ${name} is not in the plan`);
  return found;
}
