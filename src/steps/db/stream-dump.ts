/**
 * A fresh dump streamed from the source's dump command to the target, without a copy on the
 * source, as a delta against the chunks the target already holds (transfer/dump-delta.ts): the
 * snapshot's dump sent by the transfer, or one a seed bundle carried, so under the freeze only
 * the chunks that changed since cross the link. Put together on the target and verified there by
 * its digest; through the orchestrator's meter (shared bandwidth budget).
 */
import type { HashAlgorithm } from "../../manifest/model.ts";
import type { Database } from "../../plan/schema.ts";
import { databaseDeadlineMs, hashStallMs, transferStallMs } from "../../remote/deadline.ts";
import type { Remote } from "../../remote/types.ts";
import { chunkStore, type DeltaResult, sendDumpDelta } from "../../transfer/dump-delta.ts";
import type { Throttle } from "../../transfer/types.ts";
import { engineFor } from "./engines.ts";
import { withDatabasePassword } from "./password.ts";

/** Resolves with the dump's size, the bytes sent for it, the bytes reused and its SHA-256 as it left the source. */
export async function streamDump(
  source: Remote,
  target: Remote,
  db: Database,
  file: string,
  options: {
    signal: AbortSignal;
    throttle: Throttle;
    onBytes: (bytes: number) => void;
    /** The database's size on disk: the deadlines follow it. */
    sizeBytes: number;
    /** Where the source writes the row counts of the dumped snapshot. */
    countsFile: string;
    /** The workload's staging directory on the target (its chunk store is there) and hash algorithm. */
    stagingDir: string;
    hash: HashAlgorithm;
  },
): Promise<DeltaResult> {
  // PostgreSQL counts every table inside the snapshot before pg_dump writes a byte: the stall
  // window allows for that silence.
  const timing = {
    signal: options.signal,
    timeoutMs: databaseDeadlineMs(options.sizeBytes),
    idleTimeoutMs: hashStallMs(options.sizeBytes) + transferStallMs(options.throttle.budget),
  };
  const command = withDatabasePassword(db, engineFor(db).dumpWithCounts(db, options.countsFile));
  return sendDumpDelta(
    async () => {
      const dump = await source.stream(command.command, timing);
      dump.stdin.on("error", () => {});
      dump.stdin.end(command.stdin);
      return dump;
    },
    {
      target,
      file,
      store: chunkStore(options.stagingDir),
      hash: options.hash,
      throttle: options.throttle,
      onBytes: options.onBytes,
      ...timing,
    },
  );
}
