/**
 * `migrate runner --state URL`: a long-lived worker that runs the shared state's workloads on
 * the hosts it reaches. SIGTERM or Ctrl-C: stop at the next checkpoint and hand the workload
 * back; a second signal exits at once (the lease then expires and another runner resumes).
 * With --zone it takes only the workloads whose `zone` (the network zone the system belongs in)
 * is that zone, of its --hosts if given. Exit codes: 0 stopped, 64 usage, 4 state database
 * unreachable.
 */
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import type { EngineEvent } from "../../engine/events.ts";
import { resolveStateRoot, workloadDir } from "../../engine/journal/state-dir.ts";
import type { RunResources } from "../../engine/running/leased-workload.ts";
import { runRunner, type WorkloadLog } from "../../engine/running/runner.ts";
import { createThrottle, UNLIMITED } from "../../engine/running/throttle.ts";
import type { Lease } from "../../engine/state/leases.ts";
import { SharedLogLines } from "../../engine/state/log-lines.ts";
import type { StoredRun } from "../../engine/state/runs.ts";
import { bothThrottles, SharedBudget } from "../../engine/state/shared-budget.ts";
import type { StateDb } from "../../engine/state/state-db.ts";
import { resolveStateUrl } from "../../engine/state/state-url.ts";
import { UserError } from "../../errors.ts";
import { ExitCode } from "../../exit-codes.ts";
import { createRunLog, type RunLog } from "../../log/run-log.ts";
import { scrubberForPlan } from "../../log/scrub.ts";
import { parseBandwidth } from "../../plan/bytes.ts";
import { planFromTextOrThrow } from "../../plan/load.ts";
import { type Plan, ZONES } from "../../plan/schema.ts";
import { planHosts, SshPool } from "../../remote/pool.ts";
import { STEP_IMPLEMENTATIONS } from "../../steps/index.ts";
import type { Throttle } from "../../transfer/types.ts";
import { withStateDb } from "../state-session.ts";

export interface RunnerCommandOptions {
  state?: string;
  name?: string;
  hosts?: string;
  zone?: string;
  slots?: string;
  leaseSeconds?: string;
  bandwidth?: string;
  stateDir?: string;
  acceptNewHostKeys?: boolean;
}

function positive(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) {
    throw new UserError("usage", `${flag} ${value} is not a whole number from 1`, { hint: `e.g. ${flag} 2` });
  }
  return number;
}

function zoneOption(value: string | undefined): string | undefined {
  if (value === undefined || (ZONES as readonly string[]).includes(value)) return value;
  throw new UserError("usage", `--zone ${value} is not a network zone`, {
    hint: `zones: ${ZONES.join(", ")} (a workload's \`zone\` in the plan)`,
  });
}

export async function run(options: RunnerCommandOptions = {}): Promise<number> {
  const url = resolveStateUrl(options.state);
  if (!url) {
    throw new UserError(
      "usage",
      "a runner works from shared state; there is no --state or MIGRATE_STATE_URL",
      {
        hint: "migrate runner --state postgres://migrate@db.example:5432/migrate_state --hosts bureau-a-web",
      },
    );
  }
  const name = options.name ?? `${hostname()}-${process.pid}`;
  const hosts = options.hosts
    ?.split(",")
    .map((host) => host.trim())
    .filter(Boolean);
  const zone = zoneOption(options.zone);
  const slots = positive(options.slots, "--slots", 1);
  const ttlMs = positive(options.leaseSeconds, "--lease-seconds", 30) * 1000;
  const log = (line: string) => process.stderr.write(`runner ${name}: ${line}\n`);

  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(ExitCode.interrupted);
    log("stopping at the next checkpoint; the workload is handed back");
    stop.abort(new Error("runner stopped"));
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  const pools = new Map<string, { resources: RunResources; pool: SshPool }>();
  const logs = new Map<string, ActiveLog>();
  try {
    await withStateDb(url, async (db, queue) => {
      const reach = `${hosts ? `hosts ${hosts.join(", ")}` : "every host"}${zone ? ` in zone ${zone}` : ""}`;
      const boss = await queue();
      // Said once the queue is started: from here on, work sent to its queues is taken.
      log(`serving ${reach} from ${url.display}`);
      await runRunner({
        db,
        boss,
        name,
        hosts,
        zone,
        slots,
        ttlMs,
        pollMs: 500,
        steps: STEP_IMPLEMENTATIONS,
        stop: stop.signal,
        resources: async (stored) => {
          const cached = pools.get(stored.runId);
          if (cached) return cached.resources;
          const made = await resourcesFor(stored, options, slots, db, logs);
          pools.set(stored.runId, made);
          return made.resources;
        },
        onEvent: (event) => {
          const line = describe(event);
          if (line) log(line);
        },
        workloadLog: (lease, resources) => workloadLog(db, lease, resources, logs),
        log,
      });
    });
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    for (const { pool } of pools.values()) await pool.close();
  }
  log("stopped");
  return ExitCode.ok;
}

/**
 * The run's plan as the operator applied it (the shared state keeps its text, so a runner needs
 * no copy of the plan file), its SSH pool and link budget. Artefacts go under --state-dir, else
 * under the plan's state directory when the plan's directory is on this machine (as for a local
 * apply), else under `.migrate/` in the runner's working directory.
 */
async function resourcesFor(
  stored: StoredRun,
  options: RunnerCommandOptions,
  slots: number,
  db: StateDb,
  logs: Map<string, ActiveLog>,
): Promise<{ resources: RunResources; pool: SshPool }> {
  const loaded = planFromTextOrThrow(stored.planFile, stored.planText);
  if (loaded.hash !== stored.planHash) {
    throw new UserError("plan-changed", `the stored plan of run ${stored.runId} does not match its hash`, {
      hint: "the runs table was changed by hand; apply the plan again",
    });
  }
  const { plan } = loaded;
  const root = existsSync(dirname(stored.planFile))
    ? resolveStateRoot(stored.planFile, plan.defaults.stateDir, options.stateDir)
    : resolveStateRoot(join(process.cwd(), "plan"), undefined, options.stateDir);
  const pool = new SshPool({
    hosts: planHosts(plan),
    acceptNewHostKeys: options.acceptNewHostKeys ?? false,
    onCommand: (audit) => {
      for (const active of logs.values()) {
        if (active.runId === stored.runId && active.hosts.includes(audit.host))
          active.runLog.onCommand(audit);
      }
    },
  });
  return {
    pool,
    resources: {
      plan,
      remote: async (host) => pool.remote(host),
      workDir: (workload) => workloadDir(root, plan.metadata.name, workload),
      throttle: linkBudget(plan, options.bandwidth, slots, db),
      hosts: pool,
    },
  };
}

/** A workload's run log while this runner holds its lease, and the hosts its commands run on. */
interface ActiveLog {
  runId: string;
  hosts: readonly string[];
  runLog: RunLog;
}

/**
 * The lines a local apply writes to log.ndjson, scrubbed the same way, go to the shared state by
 * run and workload. A remote command is logged for the running workloads that use its host (with
 * --slots above 1, two workloads on one host both show it).
 */
function workloadLog(
  db: StateDb,
  lease: Lease,
  resources: RunResources,
  logs: Map<string, ActiveLog>,
): WorkloadLog {
  const { plan } = resources;
  const workload = plan.workloads.find((w) => w.name === lease.workload);
  const destination = new SharedLogLines(db.pool, {
    plan: lease.plan,
    runId: lease.runId,
    workload: lease.workload,
    runner: lease.runner,
  });
  const runLog = createRunLog({
    shared: { runId: lease.runId, destination },
    scrubber: scrubberForPlan(plan),
    plan: lease.plan,
  });
  const key = `${lease.runId}/${lease.workload}`;
  logs.set(key, { runId: lease.runId, hosts: workload ? [workload.source, workload.target] : [], runLog });
  return {
    onEvent: (event) => runLog.onEvent(event),
    async close() {
      logs.delete(key);
      await runLog.close();
    },
  };
}

/**
 * The plan's `bandwidth` is one budget for all runners together (held in the database); the
 * runner's `--bandwidth` is its own link, and a transfer waits for both.
 */
function linkBudget(plan: Plan, own: string | undefined, slots: number, db: StateDb): Throttle {
  const shared = plan.defaults.bandwidth
    ? new SharedBudget(db.pool, plan.metadata.name, parseBandwidth(plan.defaults.bandwidth), slots)
    : undefined;
  const link = own ? createThrottle(own, slots) : undefined;
  if (shared && link) return bothThrottles(link, shared);
  return shared ?? link ?? UNLIMITED;
}

function describe(event: EngineEvent): string | undefined {
  switch (event.type) {
    case "step-start":
      return `${event.workload}: ${event.step} started (attempt ${event.attempt})`;
    case "step-end":
      return `${event.workload}: ${event.step} done in ${Math.round(event.durationMs)} ms`;
    case "step-fail":
      return `${event.workload}: ${event.step} failed: ${event.message}${event.willRetry ? " (will retry)" : ""}`;
    case "workload-end":
      return `${event.workload}: ${event.status}${event.reason ? ` (${event.reason})` : ""}`;
    default:
      return undefined;
  }
}
