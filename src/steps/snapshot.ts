/**
 * snapshot: what the source looks like before anything moves. For files, a manifest computed on
 * the source (saved as JSONL in the work directory, its digest journaled); for databases, an
 * engine-native dump in the workload's scratch directory on the source, with exact per-table
 * row counts. Read-only on the source apart from the dump file.
 */

import { databaseDeadlineMs, hashDeadlineMs, hashStallMs } from "../remote/deadline.ts";
import { sh } from "../remote/shell.ts";
import type { DatabaseSnapshot } from "./contracts.ts";
import { databaseSize, dumpFile, engineFor } from "./db/engines.ts";
import { withDatabasePassword } from "./db/password.ts";
import { parseRowCounts } from "./db/postgres.ts";
import { collectManifest } from "./manifest/collect.ts";
import { totalBytes } from "./manifest/model.ts";
import { ensureStaging, saveManifest } from "./support.ts";
import { treeSize } from "./tree-size.ts";
import type { Step, StepContext } from "./types.ts";

/** Dump to a temp name and rename, so a half-written dump never looks finished. */
async function dumpDatabases(context: StepContext): Promise<DatabaseSnapshot[]> {
  const { workload, signal } = context;
  if (workload.databases.length === 0) return [];
  const source = await context.remote(workload.source);
  const dir = await ensureStaging(source, workload, signal);
  const result: DatabaseSnapshot[] = [];
  for (const db of workload.databases) {
    const engine = engineFor(db);
    const file = dumpFile(dir, db);
    const countsFile = `${file}.counts`;
    // Counted inside the dump's own snapshot where the engine can (PostgreSQL): rows deleted
    // while it runs are then in neither. Otherwise counted just before the dump.
    const before = engine.dumpWithCounts ? undefined : await engine.rowCounts(source, db, signal);
    const command = engine.dumpWithCounts ? engine.dumpWithCounts(db, countsFile) : engine.dump(db);
    const size = await databaseSize(source, db, signal);
    const dump = withDatabasePassword(
      db,
      sh`umask 077 && ${command} > ${`${file}.tmp`} && mv -f ${`${file}.tmp`} ${file} && sha256sum < ${file}${before ? sh`` : sh` && cat ${countsFile}`}`,
    );
    const dumped = await source.check(dump.command, {
      stdin: dump.stdin,
      signal,
      timeoutMs: databaseDeadlineMs(size),
    });
    const rowCounts = before ?? parseRowCounts(dumped.stdout.slice(dumped.stdout.indexOf("\n") + 1));
    result.push({
      engine: db.engine,
      name: db.name,
      dumpFile: file,
      dumpSha256: dumped.stdout.slice(0, 64),
      rowCounts,
    });
    context.log.info(`dumped ${db.name}`, { tables: Object.keys(rowCounts).length });
  }
  return result;
}

export const snapshot: Step<"snapshot"> = {
  name: "snapshot",
  async run(context) {
    const { workload, signal } = context;
    const source = await context.remote(workload.source);
    // The deadline follows the tree's size; the stall window, its largest file.
    const size = await treeSize(source, workload.paths, signal);
    const entries = await collectManifest(source, workload.paths, {
      mode: "tree",
      hash: workload.hash,
      signal,
      timeoutMs: hashDeadlineMs(size.bytes),
      idleTimeoutMs: hashStallMs(size.largest),
      rootLinks: "refuse",
    });
    const manifest = { hash: workload.hash, roots: workload.paths, entries };
    const saved = await saveManifest(context, "snapshot", manifest);
    const databases = await dumpDatabases(context);
    return {
      manifestFile: saved.file,
      manifestDigest: saved.digest,
      hash: workload.hash,
      files: entries.length,
      bytes: totalBytes(entries),
      databases,
    };
  },
};
