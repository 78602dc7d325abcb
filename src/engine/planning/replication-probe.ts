/**
 * The replication preflight as `plan` and `inventory` run it: read-only, on the hosts, for every
 * database that would replicate (asked for, or the engine's default). Besides the findings it
 * measures the source's write rate and, for a replication already running (journaled by an
 * earlier `apply --stop-before cutover` or `sync`), its lag and apply rate. A host that cannot be
 * asked leaves its databases "not run" with the reason; nothing here changes anything.
 */
import type { DatabasePreflightFact } from "../../plan/replication-facts.ts";
import type { Database, Plan } from "../../plan/schema.ts";
import type { Remote } from "../../remote/types.ts";
import { replicatesByDefault, replicationEngineFor } from "../../steps/db/replication/engines.ts";
import type { ReplicationState } from "../../steps/db/replication/types.ts";
import { measureRates } from "../../steps/db/replication/write-rate.ts";

type Workload = Plan["workloads"][number];

/** Would this database replicate if its preflight passed? */
export function replicationCandidate(db: Database): boolean {
  if (db.mode === "dump") return false;
  return db.mode === "replicate" || replicatesByDefault(db.engine);
}

export interface ProbeOptions {
  remote(host: string): Promise<Remote>;
  signal: AbortSignal;
  /** Replications running now, by `workload/database` (from the journal). */
  running?: ReadonlyMap<string, ReplicationState>;
  /** Hosts known beforehand not to be asked (no known host key, --offline), with why. */
  skip?: ReadonlyMap<string, string>;
  now?: () => Date;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function probeDatabase(
  workload: Workload,
  db: Database,
  options: ProbeOptions,
): Promise<DatabasePreflightFact> {
  const base = {
    workload: workload.name,
    database: db.name,
    engine: db.engine,
    checkedAt: (options.now?.() ?? new Date()).toISOString(),
  };
  const engine = replicationEngineFor(db.engine);
  if (!engine)
    return { ...base, notRun: `this build has no native replication for ${db.engine}`, findings: [] };
  for (const host of [workload.source, workload.target]) {
    const why = options.skip?.get(host);
    if (why) return { ...base, notRun: `${host}: ${why}`, findings: [] };
  }
  try {
    const [source, target] = await Promise.all([
      options.remote(workload.source),
      options.remote(workload.target),
    ]);
    const state = options.running?.get(`${workload.name}/${db.name}`);
    const lag = state
      ? () =>
          engine.lag(
            // Lag reads both servers only; the tunnel and password are not needed for it.
            {
              source,
              target,
              db,
              endpoint: { host: "127.0.0.1", port: 0 },
              password: "",
              signal: options.signal,
            },
            state,
          )
      : undefined;
    const [findings, rates] = await Promise.all([
      engine.preflight(source, target, db, options.signal),
      // The rates only feed the projection: a server that will not say (no binlog privilege)
      // still gets its findings.
      measureRates(source, db, options.signal, lag).catch(() => ({})),
    ]);
    return { ...base, findings, ...rates };
  } catch (error) {
    if (options.signal.aborted) throw error;
    return { ...base, notRun: message(error), findings: [] };
  }
}

/** Every candidate database's preflight, workloads side by side. */
export async function probeReplication(
  workloads: readonly Workload[],
  options: ProbeOptions,
): Promise<DatabasePreflightFact[]> {
  const jobs = workloads.flatMap((workload) =>
    workload.databases.filter(replicationCandidate).map((db) => probeDatabase(workload, db, options)),
  );
  return await Promise.all(jobs);
}
