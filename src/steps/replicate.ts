/**
 * The steps' side of native database replication (engines in db/replication/): started by
 * reconfigure, caught up and verified by the cutover, torn down after the switch, on rollback
 * and by a resumed run. Every engine's state is journaled (checkpoints) before the objects it
 * names exist, so a crash at any point leaves the names teardown needs. The replication user's
 * password is made per process and set again on every start: it is never journaled or logged.
 */
import { randomBytes } from "node:crypto";
import { RemoteError } from "../errors.ts";
import { holdTunnel } from "../remote/tunnel.ts";
import type { Remote } from "../remote/types.ts";
import type { Throttle } from "../transfer/types.ts";
import type { ReplicationStateRecord } from "./contracts.ts";
import { databaseSize } from "./db/engines.ts";
import { defaultPort, replicationEngineFor } from "./db/replication/engines.ts";
import type { ReplicationContext, ReplicationEngine, ReplicationState } from "./db/replication/types.ts";
import type { DatabaseInput, HostRef } from "./inputs.ts";
import type { StepContext } from "./types.ts";

const passwords = new Map<string, string>();
const LAG_EVERY_MS = 2000;

export function engineOf(db: DatabaseInput): ReplicationEngine {
  const engine = replicationEngineFor(db.engine);
  if (!engine) throw new Error(`no replication engine for ${db.engine}`);
  return engine;
}

/** A fresh state with the names this move will create. */
export function newState(db: DatabaseInput): ReplicationState {
  return engineOf(db).initialState(randomBytes(5).toString("hex"));
}

/**
 * The context of one engine call: the tunnel to the source's database port is held from here,
 * drawing on the run's bandwidth budget (`throttle`) when given.
 */
export async function replicationContext(
  db: DatabaseInput,
  source: Remote,
  target: Remote,
  sourceHost: HostRef,
  state: ReplicationState,
  signal: AbortSignal,
  options: { tunnel: boolean; throttle?: Throttle } = { tunnel: true },
): Promise<ReplicationContext> {
  // Teardown and the freeze need no path between the databases (and must work when sshd lost it).
  const tunnel = options.tunnel
    ? await holdTunnel(
        source,
        target,
        { host: sourceHost.address, port: db.port ?? defaultPort(db.engine) },
        signal,
        options.throttle,
      )
    : undefined;
  const endpoint = tunnel?.endpoint ?? { host: "127.0.0.1", port: 0 };
  const key = state.objects.user ?? db.name;
  let password = passwords.get(key);
  if (!password) {
    password = randomBytes(18).toString("base64url");
    passwords.set(key, password);
  }
  return { source, target, db, endpoint, password, signal, ...(tunnel ? { tunnelBytes: tunnel.bytes } : {}) };
}

/**
 * Emit the lag every few seconds while `work` runs (replication-lag events, the live view); while
 * the initial copy runs, also the bytes the tunnel carried (step progress, against the database's
 * size as the estimate).
 */
export async function reportingLag<T>(
  context: StepContext<unknown>,
  ctx: ReplicationContext,
  state: ReplicationState,
  phase: "copy" | "catch-up",
  work: Promise<T>,
): Promise<T> {
  const seed = phase === "copy" && ctx.tunnelBytes ? await seedProgress(context, ctx) : undefined;
  const report = async () => {
    seed?.();
    try {
      const lag = await engineOf(ctx.db as DatabaseInput).lag(ctx, state);
      context.lag?.({ database: ctx.db.name, phase, ...lag });
    } catch {
      // Lag is information only; the work itself reports real failures.
    }
  };
  const timer = setInterval(() => void report(), LAG_EVERY_MS);
  try {
    return await work;
  } finally {
    clearInterval(timer);
    seed?.();
  }
}

/** A reporter of the seed's bytes through the tunnel, counted from now. */
async function seedProgress(context: StepContext<unknown>, ctx: ReplicationContext): Promise<() => void> {
  const bytes = ctx.tunnelBytes as () => number;
  const size = await databaseSize(ctx.source, ctx.db, ctx.signal).catch(() => 0);
  const started = { at: Date.now(), bytes: bytes() };
  return () => {
    const bytesDone = bytes() - started.bytes;
    const seconds = (Date.now() - started.at) / 1000;
    context.progress({
      bytesDone,
      bytesTotal: Math.max(size, bytesDone),
      filesDone: 0,
      filesTotal: 0,
      rateBps: seconds > 0 ? Math.round(bytesDone / seconds) : 0,
    });
  };
}

/** Row counts of both sides compared exactly: after catch-up they must be equal. */
export function countsDiffer(source: Record<string, number>, target: Record<string, number>): string[] {
  return Object.keys({ ...source, ...target })
    .filter((table) => source[table] !== target[table])
    .map((table) => `${table}: source ${source[table] ?? "missing"}, target ${target[table] ?? "missing"}`)
    .sort();
}

export function countsMismatch(db: string, target: string, differ: readonly string[]): RemoteError {
  return new RemoteError(
    "verify",
    `row counts of ${db} differ after the target caught up: ${differ.join("; ")}`,
    { host: target, command: "row counts", exitCode: null },
    {
      retryable: false,
      hint: "nothing was switched; the cutover is rolled back and the replication torn down — look for writes that bypassed the read-only freeze, then run apply again",
    },
  );
}

/** Tear down every replication in `states`; each teardown is idempotent. */
export async function teardownAll(
  databases: readonly DatabaseInput[],
  states: Readonly<Record<string, ReplicationStateRecord>>,
  hosts: { source: Remote; target: Remote; sourceHost: HostRef },
  context: StepContext<unknown>,
): Promise<void> {
  for (const db of databases) {
    const state = states[db.name];
    if (!state) continue;
    const ctx = await replicationContext(
      db,
      hosts.source,
      hosts.target,
      hosts.sourceHost,
      state,
      context.signal,
      {
        tunnel: false,
      },
    );
    await engineOf(db).teardown(ctx, state);
    context.log.info(`replication of ${db.name} torn down`, { objects: Object.values(state.objects) });
  }
}
