/**
 * Waves in order; inside a wave, workloads start as soon as their dependencies succeeded and a
 * slot is free under all three limits: global (a p-queue's concurrency), per source host and per
 * target tenant. Dependents of a workload that did not succeed are skipped with the reason.
 */
import PQueue from "p-queue";
import type { WorkloadStatus } from "../events.ts";

export interface SchedulerWorkload {
  name: string;
  wave: number;
  /** Source host: at most `perHost` workloads read from one bureau server at once. */
  host: string;
  /** Target tenant: at most `perTenant` workloads write into one tenant at once. */
  tenant: string;
  dependsOn: readonly string[];
}

export interface SchedulerLimits {
  concurrency: number;
  perHost: number;
  perTenant: number;
}

export interface ScheduleOptions {
  waves: ReadonlyArray<{ wave: number; workloads: readonly SchedulerWorkload[] }>;
  limits: SchedulerLimits;
  /** Outcomes known before this run: workloads already finished in earlier runs. */
  prior: ReadonlyMap<string, WorkloadStatus>;
  /** Run one workload to its end; must resolve with its final status, never reject. */
  run(workload: SchedulerWorkload): Promise<WorkloadStatus>;
  skip(workload: SchedulerWorkload, reason: string): void;
  onWaveStart?(wave: number, workloads: string[]): void;
  onWaveEnd?(wave: number): void;
  /** Once aborted, nothing new starts; running workloads finish (they see the signal themselves). */
  signal: AbortSignal;
}

type Readiness = { kind: "ready" } | { kind: "wait" } | { kind: "skip"; reason: string };

function describeDependency(name: string, status: WorkloadStatus | undefined): string {
  switch (status) {
    case "failed":
      return `dependency ${name} failed`;
    case "rolled-back":
      return `dependency ${name} was rolled back`;
    case "skipped":
      return `dependency ${name} was skipped`;
    case "interrupted":
      return `dependency ${name} was interrupted`;
    default:
      return `dependency ${name} has not succeeded (not part of this run)`;
  }
}

/** Returns the status of every workload that reached an end in this run. */
export async function schedule(options: ScheduleOptions): Promise<Map<string, WorkloadStatus>> {
  const results = new Map<string, WorkloadStatus>();
  let failure: unknown;
  for (const { wave, workloads } of options.waves) {
    if (options.signal.aborted) break;
    options.onWaveStart?.(
      wave,
      workloads.map((item) => item.name),
    );
    await runWave(workloads, options, results, (error) => {
      failure ??= error;
    });
    if (failure) throw failure;
    if (!options.signal.aborted) options.onWaveEnd?.(wave);
  }
  return results;
}

function runWave(
  workloads: readonly SchedulerWorkload[],
  options: ScheduleOptions,
  results: Map<string, WorkloadStatus>,
  onError: (error: unknown) => void,
): Promise<void> {
  const { limits, signal } = options;
  const queue = new PQueue({ concurrency: limits.concurrency });
  const inWave = new Set(workloads.map((item) => item.name));
  const waiting = [...workloads];
  const perHost = new Map<string, number>();
  const perTenant = new Map<string, number>();
  let active = 0;

  const readiness = (workload: SchedulerWorkload): Readiness => {
    for (const dep of workload.dependsOn) {
      const status = results.get(dep) ?? options.prior.get(dep);
      if (status === "succeeded") continue;
      if (status === undefined && inWave.has(dep)) return { kind: "wait" };
      return { kind: "skip", reason: describeDependency(dep, status) };
    }
    return { kind: "ready" };
  };

  return new Promise<void>((resolve) => {
    const pump = () => {
      let index = 0;
      while (!signal.aborted && index < waiting.length) {
        const workload = waiting[index] as SchedulerWorkload;
        const state = readiness(workload);
        if (state.kind === "skip") {
          waiting.splice(index, 1);
          results.set(workload.name, "skipped");
          options.skip(workload, state.reason);
          index = 0; // a skip can settle the dependencies of workloads already passed over
          continue;
        }
        const hostBusy = (perHost.get(workload.host) ?? 0) >= limits.perHost;
        const tenantBusy = (perTenant.get(workload.tenant) ?? 0) >= limits.perTenant;
        if (state.kind === "wait" || hostBusy || tenantBusy) {
          index++;
          continue;
        }
        waiting.splice(index, 1);
        start(workload);
      }
      if (active === 0) {
        // Only a dependency cycle (refused by `validate`) can leave workloads waiting here.
        for (const workload of signal.aborted ? [] : waiting.splice(0)) {
          results.set(workload.name, "skipped");
          options.skip(workload, "dependency cycle");
        }
        resolve();
      }
    };
    const start = (workload: SchedulerWorkload) => {
      active++;
      perHost.set(workload.host, (perHost.get(workload.host) ?? 0) + 1);
      perTenant.set(workload.tenant, (perTenant.get(workload.tenant) ?? 0) + 1);
      queue
        .add(() => options.run(workload))
        .then(
          (status) => results.set(workload.name, status ?? "failed"),
          (error: unknown) => {
            results.set(workload.name, "failed");
            onError(error);
          },
        )
        .finally(() => {
          active--;
          perHost.set(workload.host, (perHost.get(workload.host) ?? 1) - 1);
          perTenant.set(workload.tenant, (perTenant.get(workload.tenant) ?? 1) - 1);
          pump();
        });
    };
    pump();
  });
}
