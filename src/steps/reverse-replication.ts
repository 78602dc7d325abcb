/**
 * The target's writes after a replicated cutover are never discarded silently. At the switch
 * (before the target's services start) each replicated database gets a reverse position on the
 * target where its engine allows it (db/replication/reverse-types.ts), journaled in the cutover's
 * checkpoint before it exists. A rollback then freezes the target, lets the source follow that
 * position through the tunnel until it applied everything, sets the sequences back, compares row
 * counts and tears the reverse replication down — all before traffic goes back to the source.
 * Where no reverse position exists and the target took writes, the rollback is refused before
 * anything changes, unless the operator said to discard them (`--discard-target-writes`).
 * `migrate finalize` drops a reverse position that no rollback used: a forgotten slot would fill
 * the target's disk with WAL.
 */
import { randomBytes } from "node:crypto";
import { RemoteError, UserError } from "../errors.ts";
import { databaseDeadlineMs } from "../remote/deadline.ts";
import { holdTunnel } from "../remote/tunnel.ts";
import type { Remote } from "../remote/types.ts";
import type { CutoverCheckpoint, FinalDatabase, ReverseState } from "./cutover-checkpoint.ts";
import type { Replicated } from "./cutover-replication.ts";
import { countRows } from "./db/engines.ts";
import { defaultPort } from "./db/replication/engines.ts";
import { type ReverseReplication, reverseEngineFor } from "./db/replication/reverse-types.ts";
import type { ReplicationContext } from "./db/replication/types.ts";
import type { CutoverInput, DatabaseInput, HostRef } from "./inputs.ts";
import { countsDiffer, engineOf, replicationContext, reportingLag } from "./replicate.ts";
import type { StepContext } from "./types.ts";

interface Hosts {
  source: Remote;
  target: Remote;
}

/** The engine context with the roles swapped: the target publishes, the source subscribes. */
export async function reverseContext(
  db: DatabaseInput,
  hosts: Hosts,
  targetHost: HostRef,
  state: ReverseState,
  signal: AbortSignal,
  options: Parameters<typeof replicationContext>[6] = { tunnel: false },
): Promise<ReplicationContext> {
  return replicationContext(db, hosts.target, hosts.source, targetHost, state, signal, options);
}

/**
 * At the switch, before the target's services start: a reverse position per replicated database
 * where the engine and the target's configuration allow one, else the reason (journaled, so a
 * rollback knows to refuse rather than discard).
 */
export async function reserveReverse(
  input: CutoverInput,
  context: StepContext<unknown>,
  hosts: Hosts,
  replicated: readonly Replicated[],
  checkpoint: CutoverCheckpoint,
  save: (fields: Partial<CutoverCheckpoint>) => Promise<unknown>,
): Promise<void> {
  const reverse = { ...checkpoint.reverse };
  const unavailable = { ...checkpoint.reverseUnavailable };
  for (const { db } of replicated) {
    const engine = reverseEngineFor(db.engine);
    if (!engine) {
      unavailable[db.name] = `reverse replication is not offered for ${db.engine}`;
      continue;
    }
    let state = reverse[db.name];
    if (!state) {
      const probe = await reverseContext(db, hosts, input.target, nameless(db), context.signal);
      const why =
        (await reverseTunnel(db, hosts, input.target, context)) ?? (await engine.unavailable(probe));
      if (why) {
        unavailable[db.name] = why;
        context.log.warn(
          `${db.name}: a rollback could not carry the target's writes back (${why}); it would refuse while the target holds writes the source lacks`,
        );
        continue;
      }
      state = engineOf(db).initialState(`r${randomBytes(5).toString("hex")}`);
      reverse[db.name] = state;
      await save({ reverse: { ...reverse } });
    }
    await engine.reserve(await reverseContext(db, hosts, input.target, state, context.signal), state);
    context.log.info(`${db.name}: the target keeps a reverse position from the switch on, for a rollback`, {
      objects: Object.values(state.objects),
    });
  }
  await save({ reverse, reverseUnavailable: unavailable });
}

/** Why the source's sshd cannot hold the reverse tunnel's listener (remote forwarding), if so. */
async function reverseTunnel(
  db: DatabaseInput,
  hosts: Hosts,
  targetHost: HostRef,
  context: StepContext<unknown>,
): Promise<string | undefined> {
  try {
    // Opened to learn that it can be, and closed: until a rollback nothing may use it.
    const to = { host: targetHost.address, port: db.port ?? defaultPort(db.engine) };
    const tunnel = await holdTunnel(hosts.target, hosts.source, to, context.signal);
    await tunnel.close();
    return undefined;
  } catch (error) {
    if (!(error instanceof RemoteError) || context.signal.aborted) throw error;
    return `${error.message}; the source's sshd must allow remote forwarding (AllowTcpForwarding yes or remote) for the reverse tunnel`;
  }
}

/** A state for read-only probes before the names exist. */
function nameless(db: DatabaseInput): ReverseState {
  return engineOf(db).initialState("probe");
}

function carriedMismatch(db: string, source: string, differ: readonly string[]): RemoteError {
  return new RemoteError(
    "verify",
    `row counts of ${db} differ after the source took the target's writes back: ${differ.join("; ")}`,
    { host: source, command: "row counts", exitCode: null },
    {
      retryable: false,
      hint: "traffic still goes to the target, which is read-only now; look for writes on the source that bypassed its freeze, then run rollback again (the reverse replication is kept until it succeeds)",
    },
  );
}

/** The row counts at the switch, per database (the cutover's checkpoint). */
function countsAtSwitch(context: StepContext<CutoverCheckpoint>): FinalDatabase[] {
  return context.lastCheckpoint?.databases ?? context.outputsOf("cutover")?.databases ?? [];
}

/** `public.t: +3 rows (1000 at the switch, 1003 now)`, per table whose count changed. */
function rowDeltas(before: Record<string, number>, now: Record<string, number>): string[] {
  return countsDiffer(before, now).map((line) => {
    const table = line.slice(0, line.indexOf(":"));
    const was = before[table] ?? 0;
    const is = now[table] ?? 0;
    const delta = is - was;
    return `${table}: ${delta >= 0 ? "+" : ""}${delta} rows (${was} at the switch, ${is} now)`;
  });
}

/** The reverse engine and state of a database, when its reverse position still exists. */
async function followable(
  input: CutoverInput,
  context: StepContext<CutoverCheckpoint>,
  hosts: Hosts,
  db: DatabaseInput,
): Promise<{ engine: ReverseReplication; state: ReverseState } | undefined> {
  const state = context.lastCheckpoint?.reverse?.[db.name];
  const engine = reverseEngineFor(db.engine);
  if (!state || !engine) return undefined;
  const ctx = await reverseContext(db, hosts, input.target, state, context.signal);
  // A resumed rollback finds the subscription it made, with the slot still in use.
  if (await engine.reserved(ctx, state)) return { engine, state };
  return (await engineOf(db).present(ctx, state)).length > 0 ? { engine, state } : undefined;
}

/**
 * Before anything changes: refused when a database without a reverse position took writes on
 * the target since the switch, unless the operator chose to discard them.
 */
export async function refuseDiscarding(
  input: CutoverInput,
  context: StepContext<CutoverCheckpoint>,
  hosts: Hosts,
  replicated: readonly Replicated[],
): Promise<void> {
  if (context.options.discardTargetWrites) return;
  const atSwitch = countsAtSwitch(context);
  const lost: string[] = [];
  for (const { db } of replicated) {
    const before = atSwitch.find((final) => final.name === db.name)?.rowCounts;
    if (!before || (await followable(input, context, hosts, db))) continue;
    const deltas = rowDeltas(before, await countRows(hosts.target, db, context.signal));
    const why = context.lastCheckpoint?.reverseUnavailable?.[db.name] ?? "no reverse position was kept";
    if (deltas.length > 0) lost.push(`${db.name} (${why}): ${deltas.join("; ")}`);
  }
  if (lost.length === 0) return;
  throw new UserError(
    "target-writes",
    `rollback of ${input.workload} refused: the target ${input.target.name} took writes since the switch that cannot be carried back to the source, and a rollback would leave them behind — ${lost.join(" — ")}; nothing was changed, traffic still goes to the target`,
    {
      hint: "copy those rows to the source yourself and run rollback again, or run `migrate rollback … --discard-target-writes` to put traffic back on the source and leave them in the target's database",
    },
  );
}

/**
 * Rollback: every database with a reverse position gets the target's writes back. The target is
 * made read-only first (its sessions ended), so the position read after it is final.
 */
export async function carryBack(
  input: CutoverInput,
  context: StepContext<CutoverCheckpoint>,
  hosts: Hosts,
  replicated: readonly Replicated[],
): Promise<DatabaseInput[]> {
  const carried: DatabaseInput[] = [];
  for (const { db } of replicated) {
    const found = await followable(input, context, hosts, db);
    if (!found) continue;
    const forward = engineOf(db);
    const ctx = await reverseContext(db, hosts, input.target, found.state, context.signal, {
      tunnel: true,
      throttle: context.throttle,
    });
    await forward.freeze(ctx);
    await found.engine.follow(ctx, found.state);
    const [lag, position] = await Promise.all([forward.lag(ctx, found.state), forward.sourcePosition(ctx)]);
    context.lag?.({ database: db.name, phase: "catch-up", ...lag });
    const waiting = forward.waitApplied(ctx, found.state, position, databaseDeadlineMs(lag.bytes));
    await reportingLag(context, ctx, found.state, "catch-up", waiting);
    await forward.finishCutover(ctx, found.state);
    const [target, source] = await Promise.all([
      countRows(hosts.target, db, context.signal),
      countRows(hosts.source, db, context.signal),
    ]);
    const differ = countsDiffer(source, target);
    if (differ.length > 0) throw carriedMismatch(db.name, input.source.name, differ);
    await forward.teardown(ctx, found.state);
    const before = countsAtSwitch(context).find((final) => final.name === db.name)?.rowCounts ?? source;
    const deltas = rowDeltas(before, source);
    context.log.info(
      `${db.name}: the target's writes since the switch were carried back to the source (${deltas.length > 0 ? deltas.join("; ") : "no row count changed"}), reverse replication torn down`,
      { lagBytes: lag.bytes },
    );
    carried.push(db);
  }
  return carried;
}
