/**
 * snapshot: what the source looks like before anything moves. For files, a manifest computed on
 * the source (saved as JSONL in the work directory, its digest journaled); for databases, an
 * engine-native dump in the workload's scratch directory on the source, with exact per-table
 * row counts. Read-only on the source apart from the dump file. Meanwhile the target's copy of
 * the workload's paths, if it has one, is hashed there (read-only) for the transfer's in-place
 * check (transfer/pre-hash.ts); that is only a head start, so its failure is a warning.
 */

import { join } from "node:path";
import { collectToFile } from "../manifest/collect-file.ts";
import { keptListingDigest } from "../manifest/host-diff.ts";
import { databaseDeadlineMs, hashDeadlineMs, hashStallMs } from "../remote/deadline.ts";
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import { preHashTarget } from "../transfer/pre-hash.ts";
import { EVIDENCE_FILE } from "../transfer/target-evidence.ts";
import type { DatabaseSnapshot, SnapshotOutput } from "./contracts.ts";
import { databaseSize, engineFor } from "./db/engines.ts";
import { withDatabasePassword } from "./db/password.ts";
import { parseRowCounts } from "./db/postgres.ts";
import type { SnapshotInput } from "./inputs.ts";
import { chooseMode } from "./replication-mode.ts";
import { ensureStaging, manifestPath, savedDurably } from "./support.ts";
import { treeSize } from "./tree-size.ts";
import type { Step, StepContext } from "./types.ts";

/** Dump to a temp name and rename, so a half-written dump never looks finished. */
async function dumpDatabases(input: SnapshotInput, context: StepContext): Promise<DatabaseSnapshot[]> {
  const { signal } = context;
  if (input.databases.length === 0) return [];
  const source = await context.remote(input.source.name);
  await ensureStaging(source, input.stagingDir, signal);
  const result: DatabaseSnapshot[] = [];
  for (const db of input.databases) {
    const chosen = await chooseMode(input, context, db);
    if (chosen.mode === "replicate") {
      result.push({
        engine: db.engine,
        name: db.name,
        dumpFile: "",
        dumpSha256: "",
        rowCounts: {},
        ...chosen,
      });
      continue;
    }
    const engine = engineFor(db);
    const file = db.dumpFile;
    const countsFile = `${file}.counts`;
    // Counted inside the dump's own snapshot: rows deleted or added while it runs are in
    // neither the dump nor the counts.
    const command = engine.dumpWithCounts(db, countsFile);
    const size = await databaseSize(source, db, signal);
    const dump = withDatabasePassword(
      db,
      sh`umask 077 && ${command} > ${`${file}.tmp`} && mv -f ${`${file}.tmp`} ${file} && sha256sum < ${file} && cat -- ${countsFile} && rm -f -- ${countsFile}`,
    );
    const t0 = performance.now();
    const dumped = await source.check(dump.command, {
      stdin: dump.stdin,
      signal,
      timeoutMs: databaseDeadlineMs(size),
    });
    const rowCounts = parseRowCounts(dumped.stdout.slice(dumped.stdout.indexOf("\n") + 1));
    result.push({
      engine: db.engine,
      name: db.name,
      dumpFile: file,
      dumpSha256: dumped.stdout.slice(0, 64),
      rowCounts,
      durationMs: Math.round(performance.now() - t0),
      ...chosen,
    });
    context.log.info(`dumped ${db.name}`, { tables: Object.keys(rowCounts).length });
  }
  return result;
}

/**
 * Hash the target's copy while the source is hashed; never fails the snapshot (the transfer's
 * check then hashes as it did without it). Stopped when `stop` aborts: the snapshot failed.
 */
async function preHash(input: SnapshotInput, context: StepContext, stop: AbortSignal, timeoutMs: number) {
  const signal = AbortSignal.any([context.signal, stop]);
  try {
    const target = await context.remote(input.target.name);
    const done = await preHashTarget({
      target,
      roots: input.paths,
      hash: input.hash,
      signal,
      timeoutMs,
      evidenceFile: join(context.workDir, EVIDENCE_FILE),
    });
    if (done.files > 0)
      context.log.info(
        `pre-hashed the target's copy on ${target.host}: ${done.hashed} of ${done.files} files hashed there, the rest vouched for by earlier evidence`,
        { bytesHashed: done.bytesHashed, ms: done.ms },
      );
  } catch (error) {
    if (signal.aborted) return;
    context.log.warn(
      `could not pre-hash the target's copy (${(error as Error).message}); the transfer's in-place check hashes it instead`,
    );
  }
}

/** Where the snapshot keeps its sorted listing on the source (in the private staging directory). */
export function keptListingFile(stagingDir: string): string {
  return `${stagingDir}/listing-snapshot`;
}

/**
 * The private staging directory for the kept listing; undefined (the final sync then lists the
 * whole source) when the login cannot make it: the listing is a shortcut, never required.
 */
async function keepIn(
  input: SnapshotInput,
  context: StepContext,
  source: Remote,
): Promise<string | undefined> {
  try {
    await ensureStaging(source, input.stagingDir, context.signal);
    return keptListingFile(input.stagingDir);
  } catch (error) {
    context.log.info(
      `not keeping the snapshot's listing on ${source.host} (${(error as Error).message}); the final sync lists the whole source`,
    );
    return undefined;
  }
}

export const snapshot: Step<"snapshot"> = {
  name: "snapshot",
  async run(input, context) {
    const { signal } = context;
    const source = await context.remote(input.source.name);
    // The deadline follows the tree's size; the stall window, its largest file.
    const size = await treeSize(source, input.paths, signal);
    // Collected straight to a sorted file on disk: memory stays flat whatever the tree's size.
    const file = await manifestPath(context, "snapshot");
    const keep = await keepIn(input, context, source);
    const stop = new AbortController();
    const targetSide = preHash(input, context, stop.signal, hashDeadlineMs(size.bytes));
    // The dumps overlap the target's hashing too; only a failure stops it early.
    let saved: Awaited<ReturnType<typeof savedDurably>>;
    let databases: DatabaseSnapshot[];
    let kept: SnapshotOutput["keptListing"];
    try {
      saved = await savedDurably(
        context,
        await collectToFile(
          source,
          input.paths,
          {
            hash: input.hash,
            signal,
            timeoutMs: hashDeadlineMs(size.bytes),
            idleTimeoutMs: hashStallMs(size.largest),
            rootLinks: "refuse",
            workDir: context.workDir,
            ...(keep === undefined ? {} : { kept: { use: "keep", file: keep } as const }),
          },
          file,
          input.paths,
        ),
      );
      const sha256 = keep === undefined ? undefined : await keptListingDigest(source, keep, signal);
      if (keep !== undefined && sha256 !== undefined) kept = { file: keep, sha256 };
      databases = await dumpDatabases(input, context);
    } catch (error) {
      stop.abort();
      throw error;
    } finally {
      await targetSide;
    }
    return {
      manifestFile: file,
      manifestDigest: saved.digest,
      hash: input.hash,
      files: saved.entries,
      bytes: saved.bytes,
      databases,
      ...(kept ? { keptListing: kept } : {}),
    };
  },
};
