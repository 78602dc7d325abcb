/**
 * snapshot: what the source looks like before anything moves. For files, a manifest computed on
 * the source (saved as JSONL in the work directory, its digest journaled); for databases, an
 * engine-native dump in the workload's scratch directory on the source, with exact per-table
 * row counts. Read-only on the source apart from the dump file.
 */

import { collectToFile } from "../manifest/collect-file.ts";
import { databaseDeadlineMs, hashDeadlineMs, hashStallMs } from "../remote/deadline.ts";
import { sh } from "../remote/shell.ts";
import type { DatabaseSnapshot } from "./contracts.ts";
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

export const snapshot: Step<"snapshot"> = {
  name: "snapshot",
  async run(input, context) {
    const { signal } = context;
    const source = await context.remote(input.source.name);
    // The deadline follows the tree's size; the stall window, its largest file.
    const size = await treeSize(source, input.paths, signal);
    // Collected straight to a sorted file on disk: memory stays flat whatever the tree's size.
    const file = await manifestPath(context, "snapshot");
    const saved = await savedDurably(
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
        },
        file,
        input.paths,
      ),
    );
    const databases = await dumpDatabases(input, context);
    return {
      manifestFile: file,
      manifestDigest: saved.digest,
      hash: input.hash,
      files: saved.entries,
      bytes: saved.bytes,
      databases,
    };
  },
};
