/**
 * The final sync's databases, inside the cutover with the source frozen: each moved again as a
 * fresh dump restored on the target, with row counts equal to the dump's own (counted inside the
 * dump's snapshot).
 */
import { RemoteError } from "../errors.ts";
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import { chunkStore } from "../transfer/dump-delta.ts";
import { ProgressTracker } from "../transfer/meter.ts";
import type { DatabaseSnapshot } from "./contracts.ts";
import type { FinalDatabase } from "./cutover-checkpoint.ts";
import { databaseSize } from "./db/engines.ts";
import { parseRowCounts } from "./db/postgres.ts";
import { streamDump } from "./db/stream-dump.ts";
import type { CutoverInput } from "./inputs.ts";
import { restoreDatabase } from "./reconfigure.ts";
import { ensureStaging, QUICK_MS } from "./support.ts";
import type { StepContext } from "./types.ts";

/**
 * Once the final dumps are restored no dump is needed any more (a rollback keeps the source's
 * own database, a later run dumps afresh): staging keeps no copy of the data it moved.
 */
async function removeDumps(
  input: CutoverInput,
  signal: AbortSignal,
  source: Remote,
  target: Remote,
): Promise<void> {
  const files = input.databases.flatMap((db) => [db.dumpFile, db.finalDumpFile]);
  await Promise.all([
    source.check(sh`rm -f -- ${files}`, { signal, timeoutMs: QUICK_MS }),
    // The target's chunk store (transfer/dump-delta.ts) holds the same data in pieces.
    target.check(sh`rm -rf -- ${files} ${chunkStore(input.stagingDir)}`, { signal, timeoutMs: QUICK_MS }),
  ]);
}

export async function moveDatabases(
  input: CutoverInput,
  context: StepContext,
  source: Remote,
  target: Remote,
): Promise<FinalDatabase[]> {
  const { signal } = context;
  const result: FinalDatabase[] = [];
  if (input.databases.length === 0) return result;
  await ensureStaging(target, input.stagingDir, signal);
  const tracker = new ProgressTracker(0, input.databases.length, (progress) => context.progress(progress));
  for (const db of input.databases) {
    const file = db.finalDumpFile;
    const countsFile = `${file}.counts`;
    const sizeBytes = await databaseSize(source, db, signal);
    const dumped = await streamDump(source, target, db, file, {
      signal,
      throttle: context.throttle,
      onBytes: (n) => tracker.addBytes(n),
      sizeBytes,
      countsFile,
      stagingDir: input.stagingDir,
      hash: input.hash,
    });
    // The counts of the very snapshot dumped: the counts the target must have exactly.
    const counted = await source.check(sh`cat -- ${countsFile} && rm -f -- ${countsFile}`, {
      signal,
      timeoutMs: QUICK_MS,
    });
    const sourceCounts = parseRowCounts(counted.stdout);
    const snap: DatabaseSnapshot = {
      engine: db.engine,
      name: db.name,
      dumpFile: file,
      dumpSha256: dumped.sha256,
      rowCounts: sourceCounts,
    };
    const counts = await restoreDatabase(target, db, snap, file, signal, dumped.bytes);
    const differ = Object.keys({ ...sourceCounts, ...counts }).filter(
      (table) => sourceCounts[table] !== counts[table],
    );
    if (differ.length > 0) {
      throw new RemoteError(
        "remote",
        `row counts of ${db.name} differ after the final restore: ${differ.join(", ")}`,
        {
          host: target.host,
          command: "row counts",
          exitCode: null,
        },
      );
    }
    tracker.addFiles(1);
    result.push({
      name: db.name,
      rowCounts: counts,
      dumpBytes: dumped.sent,
      dumpSize: dumped.bytes,
      dumpBytesReused: dumped.reused,
    });
  }
  tracker.flush();
  await removeDumps(input, signal, source, target);
  return result;
}
