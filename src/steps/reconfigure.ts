/**
 * reconfigure: on the target, the plan's rewrites (before/after hashes journaled, originals
 * kept for undo), then the declared commands in order, then each database restored from the
 * transferred dump and its row counts compared with the source's.
 */
import { RemoteError } from "../errors.ts";
import { databaseDeadlineMs } from "../remote/deadline.ts";
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import type {
  DatabaseSnapshot,
  ReconfigureCheckpoint,
  ReconfigureOutput,
  ReplicationStateRecord,
} from "./contracts.ts";
import { engineFor } from "./db/engines.ts";
import { withDatabasePassword } from "./db/password.ts";
import type { DatabaseInput, ReconfigureInput, RewriteInput } from "./inputs.ts";
import { engineOf, newState, replicationContext, reportingLag } from "./replicate.ts";
import { type RewriteRecord, rewriteFile, undoRewrite } from "./rewrite.ts";

import { checkDumpDigest, QUICK_MS, readState, writeState } from "./support.ts";
import { keepTargetListing } from "./target-kept.ts";
import type { Step, StepContext } from "./types.ts";

const COMMAND_MS = 10 * 60_000;
const REWRITES_STATE = "rewrites.json";

/** Where the originals of rewritten files are kept for undo, inside the staging directory. */
export function rewriteBackupDir(stagingDir: string): string {
  return `${stagingDir}/rewrite`;
}

async function applyRewrites(
  rewrites: readonly RewriteInput[],
  stagingDir: string,
  context: StepContext,
  target: Remote,
): Promise<RewriteRecord[]> {
  const records: RewriteRecord[] = [];
  for (const { file, replace } of rewrites) {
    const record = await rewriteFile(target, file, replace, rewriteBackupDir(stagingDir), context.signal);
    records.push(record);
    // Kept locally at once: an undo must find the originals even if this step never finishes.
    await writeState(context, REWRITES_STATE, records);
  }
  return records;
}

function countsDiffer(expected: Record<string, number>, actual: Record<string, number>): string[] {
  return Object.entries(expected)
    .filter(([table, rows]) => actual[table] !== rows)
    .map(([table, rows]) => `${table}: source ${rows}, target ${actual[table] ?? "missing"}`);
}

/** Restore a dump on the target and require at least the source's row count in every table. */
export async function restoreDatabase(
  target: Remote,
  db: DatabaseInput,
  snapshot: DatabaseSnapshot,
  file: string,
  signal: AbortSignal,
  dumpBytes: number,
): Promise<Record<string, number>> {
  const engine = engineFor(db);
  if (snapshot.dumpSha256 !== "") await checkDumpDigest(target, file, snapshot.dumpSha256, signal, dumpBytes);
  const restore = withDatabasePassword(db, engine.restore(db, file));
  // A restore rebuilds indexes: its deadline follows the dump's size, at a slow database's rate.
  await target.check(restore.command, {
    stdin: restore.stdin,
    signal,
    timeoutMs: databaseDeadlineMs(dumpBytes),
  });
  const counts = await engine.rowCounts(target, db, signal, databaseDeadlineMs(dumpBytes));
  const short = Object.entries(snapshot.rowCounts)
    .filter(([table, rows]) => (counts[table] ?? -1) < rows)
    .map(([table, rows]) => `${table}: source ${rows}, target ${counts[table] ?? "missing"}`);
  if (short.length > 0) {
    throw new RemoteError(
      "remote",
      `restore of ${db.name} on ${target.host} is incomplete: ${short.join("; ")}`,
      {
        host: target.host,
        command: "row counts",
        exitCode: null,
      },
    );
  }
  return counts;
}

/**
 * Each replicated database: its names journaled first (a crash leaves teardown what to drop),
 * then the engine seeds the target and streams; the state journaled again once it runs.
 */
async function startReplications(
  input: ReconfigureInput,
  context: StepContext<ReconfigureCheckpoint>,
  snapshots: readonly DatabaseSnapshot[],
): Promise<Record<string, ReplicationStateRecord>> {
  const states: Record<string, ReplicationStateRecord> = { ...context.lastCheckpoint?.replication };
  const save = async () => {
    const commandsDone = context.lastCheckpoint?.commandsDone ?? input.commands.length;
    await context.checkpoint({ commandsDone, replication: { ...states } });
  };
  for (const db of input.databases) {
    const snap = snapshots.find((s) => s.name === db.name && s.engine === db.engine);
    if (snap?.mode !== "replicate") continue;
    const source = await context.remote(input.source.name);
    const target = await context.remote(input.target.name);
    let state = states[db.name] ?? newState(db);
    if (!states[db.name]) {
      states[db.name] = state;
      await save();
    }
    const ctx = await replicationContext(db, source, target, input.source, state, context.signal, {
      tunnel: true,
      throttle: context.throttle,
    });
    context.log.info(`replicating ${db.name} to ${input.target.name}`, {
      objects: Object.values(state.objects),
    });
    state = await reportingLag(context, ctx, state, "copy", engineOf(db).start(ctx, state));
    states[db.name] = state;
    await save();
    context.log.info(`${db.name}: initial copy done, streaming changes`, { seededAt: state.seededAt });
  }
  return states;
}

export const reconfigure: Step<"reconfigure"> = {
  name: "reconfigure",
  async run(input, context) {
    const { signal } = context;
    const target = await context.remote(input.target.name);
    const rewrites = await applyRewrites(input.rewrites, input.stagingDir, context, target);

    const done = context.lastCheckpoint?.commandsDone ?? 0;
    for (const [index, command] of input.commands.entries()) {
      if (index < done) continue;
      context.log.info(`running on ${input.target.name}: ${command}`);
      await target.check(sh`sh -c ${command}`, { signal, timeoutMs: COMMAND_MS });
      await context.checkpoint({ ...context.lastCheckpoint, commandsDone: index + 1 });
    }

    const snapshots = context.outputsOf("snapshot")?.databases ?? [];
    const databases: ReconfigureOutput["databases"] = [];
    const replication = await startReplications(input, context, snapshots);
    for (const db of input.databases) {
      const snap = snapshots.find((s) => s.name === db.name && s.engine === db.engine);
      if (!snap || snap.mode === "replicate") continue;
      const size = await target.check(sh`stat -c %s -- ${snap.dumpFile}`, { signal, timeoutMs: QUICK_MS });
      const t0 = performance.now();
      const rowCounts = await restoreDatabase(
        target,
        db,
        snap,
        snap.dumpFile,
        signal,
        Number(size.stdout.trim()) || 0,
      );
      databases.push({
        name: db.name,
        rowCounts,
        differences: countsDiffer(snap.rowCounts, rowCounts),
        durationMs: Math.round(performance.now() - t0),
      });
    }
    // Last, with the target's tree as the cutover will find it: its listing kept there.
    const keptTarget = await keepTargetListing(input, context, target);
    return {
      rewrites: rewrites.map(({ file, before, after, replacements }) => ({
        file,
        before,
        after,
        replacements,
      })),
      commandsRun: input.commands.length - done,
      databases,
      ...(Object.keys(replication).length > 0 ? { replication } : {}),
      ...(keptTarget ? { keptTarget } : {}),
    };
  },
  async undo(input, context) {
    const records = await readState<RewriteRecord[]>(context, REWRITES_STATE);
    if (!records) return;
    const target = await context.remote(input.target.name);
    for (const record of records) await undoRewrite(target, record, context.signal);
  },
};
