/**
 * `migrate runner`: a long-lived worker on any machine. It takes over expired leases first (a
 * dead or partitioned runner's workloads resume from their last checkpoint), then fetches
 * announced jobs from the queues of the hosts it reaches, runs each workload under its lease
 * (its byte progress published to the shared state), and reports the end so the run advances. On a graceful stop it hands its workload back.
 */
import type PgBoss from "pg-boss";
import type { StepImplementations } from "../../steps/types.ts";
import type { OnEvent } from "../events.ts";
import { claim, finish, type Lease, release, takeOver } from "../state/leases.ts";
import { type StoredRun, storedRun } from "../state/runs.ts";
import { SharedProgress } from "../state/shared-progress.ts";
import type { StateDb } from "../state/state-db.ts";
import { servedQueues, type WorkJob } from "../state/work-queue.ts";
import { type RunResources, runLeased } from "./leased-workload.ts";
import { sleep } from "./retry.ts";

export interface RunnerOptions {
  db: StateDb;
  boss: PgBoss;
  name: string;
  /** Source hosts this runner reaches; undefined: all. */
  hosts: readonly string[] | undefined;
  /** The network zone whose workloads this runner takes; undefined: every zone. */
  zone: string | undefined;
  /** Workloads run at once (each under its own lease). */
  slots: number;
  ttlMs: number;
  pollMs: number;
  steps: StepImplementations;
  /** Graceful stop: hand back at the next checkpoint and return. */
  stop: AbortSignal;
  resources(run: StoredRun): Promise<RunResources>;
  onEvent: OnEvent;
  /** The run log of one workload under a lease (kept in the shared state); closed when it ends. */
  workloadLog?(lease: Lease, resources: RunResources): WorkloadLog;
  log(line: string): void;
}

export interface WorkloadLog {
  onEvent: OnEvent;
  close(): Promise<void>;
}

export async function runRunner(options: RunnerOptions): Promise<void> {
  await Promise.all(Array.from({ length: options.slots }, () => slot(options)));
}

async function slot(options: RunnerOptions): Promise<void> {
  while (!options.stop.aborted) {
    const taken = await takeOver(options.db.pool, options.name, options, options.ttlMs);
    if (taken) options.log(`took over ${taken.workload} (lease generation ${taken.generation})`);
    const lease = taken ?? (await fetchAndClaim(options));
    if (!lease) {
      await sleep(options.pollMs, options.stop).catch(() => undefined);
      continue;
    }
    await work(options, lease);
  }
}

async function queues(options: RunnerOptions): Promise<string[]> {
  const all = await options.boss.getQueues();
  return servedQueues(
    all.map((queue) => queue.name),
    options.hosts,
    options.zone,
  );
}

async function fetchAndClaim(options: RunnerOptions): Promise<Lease | undefined> {
  for (const queue of await queues(options)) {
    const jobs = await options.boss.fetch<WorkJob>(queue).catch(() => []);
    for (const job of jobs) {
      const lease = await claim(options.db.pool, options.name, job.data, options.ttlMs);
      // The job has done its work either way: it only announced the workload.
      await options.boss.complete(queue, job.id).catch(() => undefined);
      if (lease) {
        options.log(`claimed ${lease.workload} (lease generation ${lease.generation})`);
        return lease;
      }
    }
  }
  return undefined;
}

async function work(options: RunnerOptions, lease: Lease): Promise<void> {
  const { pool } = options.db;
  const run = await storedRun(pool, lease.runId);
  if (!run) return;
  let resources: RunResources;
  try {
    resources = await options.resources(run);
  } catch (error) {
    options.log(`cannot run ${lease.workload}: ${(error as Error).message}; handing it back`);
    await release(pool, options.boss, lease);
    return;
  }
  const workloadLog = options.workloadLog?.(lease, resources);
  const progress = new SharedProgress(pool, lease);
  const onEvent: OnEvent = (event) => {
    options.onEvent(event);
    workloadLog?.onEvent(event);
    progress.onEvent(event);
  };
  const outcome = await runLeased({
    pool,
    lease,
    run,
    resources,
    steps: options.steps,
    ttlMs: options.ttlMs,
    stop: options.stop,
    onEvent,
    log: options.log,
  })
    .catch((error: unknown) => {
      options.log(`${lease.workload}: ${(error as Error).message}`);
      return "failed" as const;
    })
    .finally(() => Promise.all([workloadLog?.close(), progress.close()]));
  if (outcome === "lost") {
    options.log(`lost the lease on ${lease.workload}: another runner holds it now; stopped`);
  } else if (outcome === "stopped") {
    await release(pool, options.boss, lease);
    options.log(`handed ${lease.workload} back`);
  } else {
    await finish(pool, options.boss, lease, outcome);
    options.log(`${lease.workload} ${outcome}`);
  }
}
