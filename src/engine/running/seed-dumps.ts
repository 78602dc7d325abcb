/**
 * The database dumps of a seed bundle, as `seed export` and `seed import` handle them
 * (transfer/seed-dumps.ts does the work): the dump taken on the source with the command
 * `migrate plan` shows, and the bundle's dump chunks placed into the target's chunk store, each
 * dump journaled as one record (`dump:<database>`) with the bytes carried and the chunks damaged.
 */
import type { Database, Workload } from "../../plan/schema.ts";
import { databaseDeadlineMs, hashDeadlineMs } from "../../remote/deadline.ts";
import type { Remote } from "../../remote/types.ts";
import { databaseSize, engineFor } from "../../steps/db/engines.ts";
import { withDatabasePassword } from "../../steps/db/password.ts";
import { stagingDir } from "../../steps/staging.ts";
import { chunkStore, type DumpSource } from "../../transfer/dump-delta.ts";
import type { SeedIndex } from "../../transfer/seed-bundle.ts";
import { type DumpImport, type DumpToExport, importDumps } from "../../transfer/seed-dumps.ts";
import type { SeedRecord } from "../journal/seed-ledger.ts";

/** The seed journal's name for a database dump's record (beside the chunk files' names). */
export function dumpRecordFile(database: string): string {
  return `dump:${database}`;
}

/** A dump of `db` streaming from the source. */
async function openDump(source: Remote, db: Database, signal: AbortSignal): Promise<DumpSource> {
  const size = await databaseSize(source, db, signal);
  const command = withDatabasePassword(db, engineFor(db).dump(db));
  const dump = await source.stream(command.command, { signal, timeoutMs: databaseDeadlineMs(size) });
  dump.stdin.on("error", () => {});
  dump.stdin.end(command.stdin);
  return dump;
}

export function dumpsToExport(workload: Workload, source: Remote, signal: AbortSignal): DumpToExport[] {
  return (workload.databases ?? []).map((db) => ({
    database: db.name,
    engine: db.engine,
    open: () => openDump(source, db, signal),
  }));
}

type ChunkRecord = Pick<
  Extract<SeedRecord, { type: "seed-chunk" }>,
  "file" | "outcome" | "carried" | "resent" | "targetDigest"
>;

/** Place the bundle's dumps not yet imported; one record per dump, a line per damaged chunk. */
export async function placeBundleDumps(
  context: { workload: Workload; signal: AbortSignal; say(line: string): void },
  target: Remote,
  index: SeedIndex,
  dir: string,
  done: ReadonlySet<string>,
  record: (dump: ChunkRecord) => void,
): Promise<DumpImport[]> {
  const dumps = (index.dumps ?? []).filter((dump) => !done.has(dumpRecordFile(dump.database)));
  const placed = await importDumps({
    target,
    dir,
    dumps,
    store: chunkStore(stagingDir(context.workload.name)),
    hash: index.hash,
    signal: context.signal,
    timeoutMs: hashDeadlineMs(dumps.reduce((sum, dump) => sum + dump.bytes, 0)),
  });
  for (const dump of placed) {
    record({
      file: dumpRecordFile(dump.database),
      outcome: dump.damaged.length === 0 ? "verified" : "damaged-resent",
      carried: dump.carried,
      // A damaged chunk's bytes cross the link with apply's dump of the database, counted there.
      resent: 0,
      ...(dump.damaged[0] ? { targetDigest: dump.damaged[0].targetDigest } : {}),
    });
    context.say(
      `  dump of ${dump.database}: ${(dump.carried / 1024 / 1024).toFixed(1)} MiB of chunks verified on ${target.host}`,
    );
    for (const bad of dump.damaged)
      context.say(
        `  dump of ${dump.database}, chunk ${bad.chunk}: DAMAGED — ${index.hash} on ${target.host} is ${bad.targetDigest}, the bundle says ${bad.chunk}; not used, apply sends its bytes over the link with the database's fresh dump`,
      );
  }
  return placed;
}
