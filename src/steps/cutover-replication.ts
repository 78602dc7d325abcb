/**
 * The cutover's part for replicated databases. Before the freeze: the replication is resumed
 * (tunnel, password) so catching up costs no setup inside the downtime. At the freeze: each
 * source database read-only. Then: the source's position read, the target waited for until it
 * applied everything up to it, sequences set, row counts compared table by table (they must be
 * equal: nobody can write on either side). After the switch (and on rollback): teardown, so no
 * slot, publication, subscription or replication user outlives the cutover.
 */
import { databaseDeadlineMs } from "../remote/deadline.ts";
import type { Remote } from "../remote/types.ts";
import type { ReplicationStateRecord } from "./contracts.ts";
import type { FinalDatabase } from "./cutover-checkpoint.ts";
import { countRows } from "./db/engines.ts";
import type { CutoverInput, DatabaseInput } from "./inputs.ts";
import {
  countsDiffer,
  countsMismatch,
  engineOf,
  replicationContext,
  reportingLag,
  teardownAll,
} from "./replicate.ts";
import type { StepContext } from "./types.ts";

export interface Replicated {
  db: DatabaseInput;
  state: ReplicationStateRecord;
}

/** The workload's databases that replicate (per reconfigure's output), and the ones to dump. */
export function splitDatabases(
  input: CutoverInput,
  context: StepContext<unknown>,
): { replicated: Replicated[]; dumped: DatabaseInput[] } {
  const states = context.outputsOf("reconfigure")?.replication ?? {};
  const replicated: Replicated[] = [];
  const dumped: DatabaseInput[] = [];
  for (const db of input.databases) {
    const state = states[db.name];
    if (state) replicated.push({ db, state });
    else dumped.push(db);
  }
  return { replicated, dumped };
}

interface Hosts {
  source: Remote;
  target: Remote;
}

/** Outside the downtime: the tunnel held again and the subscription pointed at it. */
export async function resumeReplications(
  input: CutoverInput,
  context: StepContext<unknown>,
  hosts: Hosts,
  replicated: readonly Replicated[],
): Promise<void> {
  for (const { db, state } of replicated) {
    const ctx = await replicationContext(
      db,
      hosts.source,
      hosts.target,
      input.source,
      state,
      context.signal,
      {
        tunnel: true,
        throttle: context.throttle,
      },
    );
    const engine = engineOf(db);
    await engine.start(ctx, state);
    // Still live: what the target is behind (a replica seeded minutes ago may be far behind) is
    // applied now, not inside the downtime. Each pass waits for the position as of its start;
    // the catch-up after the freeze is then only what was written during the last pass.
    for (let pass = 0; pass < LIVE_PASSES; pass++) {
      const [lag, position] = await Promise.all([engine.lag(ctx, state), engine.sourcePosition(ctx)]);
      context.lag?.({ database: db.name, phase: "catch-up", ...lag });
      if (lag.bytes <= SMALL_LAG_BYTES) break;
      const waiting = engine.waitApplied(ctx, state, position, databaseDeadlineMs(lag.bytes));
      await reportingLag(context, ctx, state, "catch-up", waiting);
    }
  }
}

/** Passes of the live catch-up before the freeze, and the lag that needs none. */
const LIVE_PASSES = 3;
const SMALL_LAG_BYTES = 64 * 1024;

/**
 * The engine's freeze (or thaw) of each replicated database, on the source by default. On the
 * target it keeps a rehearsal's services from writing where the subscription applies the
 * source's changes: client sessions are refused writes, the apply worker (PostgreSQL) and the
 * replica's SQL thread (MariaDB) are not client sessions and go on applying (docs/rehearse.md).
 */
export async function freezeDatabases(
  input: CutoverInput,
  context: StepContext<unknown>,
  hosts: Hosts,
  replicated: readonly Replicated[],
  how: "freeze" | "thaw",
  side: "source" | "target" = "source",
  signal: AbortSignal = context.signal,
): Promise<void> {
  for (const { db, state } of replicated) {
    const ctx = await replicationContext(db, hosts.source, hosts.target, input.source, state, signal, {
      tunnel: false,
    });
    await engineOf(db)[how](side === "source" ? ctx : { ...ctx, source: hosts.target });
  }
}

/** The target applied everything up to the frozen source's position, and its sequences are set. */
export async function catchUp(
  input: CutoverInput,
  context: StepContext<unknown>,
  hosts: Hosts,
  { db, state }: Replicated,
): Promise<FinalDatabase> {
  const engine = engineOf(db);
  const ctx = await replicationContext(db, hosts.source, hosts.target, input.source, state, context.signal, {
    tunnel: true,
    throttle: context.throttle,
  });
  const started = Date.now();
  const [lag, position] = await Promise.all([engine.lag(ctx, state), engine.sourcePosition(ctx)]);
  context.lag?.({ database: db.name, phase: "catch-up", ...lag });
  // What is left to apply, at the slowest healthy database rate: the deadline follows the lag.
  const waiting = engine.waitApplied(ctx, state, position, databaseDeadlineMs(lag.bytes));
  await reportingLag(context, ctx, state, "catch-up", waiting);
  const catchUpMs = Date.now() - started;
  await engine.finishCutover(ctx, state);
  return { name: db.name, rowCounts: {}, dumpBytes: 0, mode: "replicate", lagBytes: lag.bytes, catchUpMs };
}

/**
 * The frozen source's row counts, one per replicated database, started at once: nothing can
 * write there any more, so they are counted while the files sync and the target catches up.
 * Settled results, so a failure waits for the caller instead of going unhandled meanwhile.
 */
export function countSources(
  hosts: Hosts,
  replicated: readonly Replicated[],
  signal: AbortSignal,
): Promise<PromiseSettledResult<Record<string, number>>[]> {
  return Promise.allSettled(replicated.map(({ db }) => countRows(hosts.source, db, signal)));
}

/**
 * The target's row counts, once it caught up, against the frozen source's (countSources).
 * Throws before anything is switched when a table's counts differ.
 */
export async function verifyCounts(
  input: CutoverInput,
  context: StepContext<unknown>,
  hosts: Hosts,
  { db }: Replicated,
  caughtUp: FinalDatabase,
  sourceCounts: Record<string, number>,
): Promise<FinalDatabase> {
  const targetCounts = await countRows(hosts.target, db, context.signal);
  const differ = countsDiffer(sourceCounts, targetCounts);
  if (differ.length > 0) throw countsMismatch(db.name, input.target.name, differ);
  context.log.info(`${db.name}: target caught up in ${caughtUp.catchUpMs} ms, row counts equal`, {
    lagBytes: caughtUp.lagBytes,
    tables: Object.keys(targetCounts).length,
  });
  return { ...caughtUp, rowCounts: targetCounts };
}

export async function teardownReplications(
  input: CutoverInput,
  context: StepContext<unknown>,
  hosts: Hosts,
  replicated: readonly Replicated[],
): Promise<void> {
  const states = Object.fromEntries(replicated.map(({ db, state }) => [db.name, state]));
  await teardownAll(
    replicated.map(({ db }) => db),
    states,
    { ...hosts, sourceHost: input.source },
    context,
  );
}

/**
 * After a switch, the target may have taken writes the source never saw: rollback names them
 * (row counts now against the counts at the cutover) instead of dropping them silently. They
 * stay in the target's database; nothing is copied back.
 */
export async function reportTargetWrites(
  context: StepContext<unknown>,
  target: Remote,
  replicated: readonly Replicated[],
): Promise<void> {
  const atCutover = context.outputsOf("cutover")?.databases ?? [];
  for (const { db } of replicated) {
    const before = atCutover.find((final) => final.name === db.name)?.rowCounts;
    if (!before) continue;
    const now = await countRows(target, db, context.signal);
    const differ = countsDiffer(before, now);
    if (differ.length === 0) {
      context.log.info(
        `${db.name}: the target took no writes since the switch (row counts as at the cutover)`,
      );
    } else {
      context.log.warn(
        `${db.name}: the target took writes since the switch that the source does not have; they stay in the target's database and are NOT copied back: ${differ.join("; ")}`,
        { tables: differ.length },
      );
    }
  }
}
