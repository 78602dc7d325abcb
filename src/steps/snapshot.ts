/**
 * snapshot: what the source looks like before anything moves. For files, a manifest computed on
 * the source (saved as JSONL in the work directory, its digest journaled); for databases, an
 * engine-native dump in the workload's scratch directory on the source, with exact per-table
 * row counts. Read-only on the source apart from the dump file.
 */
import { sh } from "../remote/shell.ts";
import { dumpFile, engineFor } from "./db/engines.ts";
import { withDatabasePassword } from "./db/password.ts";
import { collectManifest } from "./manifest/collect.ts";
import { totalBytes } from "./manifest/model.ts";
import { ensureStaging, saveManifest, TREE_MS } from "./support.ts";
import type { Step, StepContext } from "./types.ts";

export interface DatabaseSnapshot {
  engine: string;
  name: string;
  dumpFile: string;
  dumpSha256: string;
  rowCounts: Record<string, number>;
}

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
    // Counted before the dump: on a live source the dump may hold a few more rows, never fewer.
    const rowCounts = await engine.rowCounts(source, db, signal);
    const dump = withDatabasePassword(
      db,
      sh`umask 077 && ${engine.dump(db)} > ${`${file}.tmp`} && mv -f ${`${file}.tmp`} ${file} && sha256sum < ${file}`,
    );
    const dumped = await source.check(dump.command, { stdin: dump.stdin, signal, timeoutMs: TREE_MS });
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

export const snapshot: Step = {
  name: "snapshot",
  async run(context) {
    const { workload, signal } = context;
    const source = await context.remote(workload.source);
    const entries = await collectManifest(source, workload.paths, {
      mode: "tree",
      hash: workload.hash,
      signal,
      timeoutMs: TREE_MS,
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
