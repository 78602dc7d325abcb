/**
 * The snapshot's database dumps onto the target, each as a delta against the chunks the target's
 * store already holds (transfer/dump-delta.ts): the chunks of a dump a seed bundle carried, or of
 * an earlier attempt's. The dump read from the source must be the one the snapshot took (its
 * SHA-256); the dump put together on the target is verified by its digest computed there.
 */
import { RemoteError } from "../errors.ts";
import type { HashAlgorithm } from "../manifest/model.ts";
import { hashStallMs, transferDeadlineMs, transferStallMs } from "../remote/deadline.ts";
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import { chunkStore, type DeltaResult, sendDumpDelta } from "../transfer/dump-delta.ts";
import type { DatabaseSnapshot } from "./contracts.ts";
import { ensureStaging } from "./support.ts";
import { treeSize } from "./tree-size.ts";
import type { StepContext } from "./types.ts";

export interface DumpFigures {
  /** The dumps' sizes. */
  dumpBytes: number;
  /** Bytes that crossed the link for them (compressed chunks the target lacked). */
  dumpBytesSent: number;
  /** Dump bytes the target's chunk store already held, verified there as part of the whole dump's digest. */
  dumpBytesReused: number;
}

/** A dump moved as a delta from `source` to `target`, with the figures the accounting needs. */
export function dumpFigures(results: readonly DeltaResult[]): DumpFigures {
  return {
    dumpBytes: results.reduce((sum, r) => sum + r.bytes, 0),
    dumpBytesSent: results.reduce((sum, r) => sum + r.sent, 0),
    dumpBytesReused: results.reduce((sum, r) => sum + r.reused, 0),
  };
}

export async function sendDumps(
  databases: readonly DatabaseSnapshot[],
  move: { source: Remote; target: Remote; stagingDir: string; hash: HashAlgorithm },
  context: Pick<StepContext, "signal" | "throttle" | "log">,
): Promise<DumpFigures> {
  const { source, target } = move;
  const { signal } = context;
  if (databases.length === 0) return dumpFigures([]);
  await ensureStaging(target, move.stagingDir, signal);
  const results: DeltaResult[] = [];
  for (const db of databases) {
    const size = await treeSize(source, [db.dumpFile], signal);
    const timing = {
      signal,
      timeoutMs: transferDeadlineMs(size.bytes, context.throttle.budget),
      idleTimeoutMs: hashStallMs(size.bytes) + transferStallMs(context.throttle.budget),
    };
    const result = await sendDumpDelta(
      async () => {
        const read = await source.stream(sh`cat -- ${db.dumpFile}`, timing);
        read.stdin.end();
        return read;
      },
      {
        target,
        file: db.dumpFile,
        store: chunkStore(move.stagingDir),
        hash: move.hash,
        throttle: context.throttle,
        onBytes: () => {},
        ...timing,
      },
    );
    if (result.sha256 !== db.dumpSha256) {
      throw new RemoteError(
        "verify",
        `the dump ${db.dumpFile} on ${source.host} is not the one the snapshot took (SHA-256 ${result.sha256}, the snapshot says ${db.dumpSha256})`,
        { host: source.host, command: "send dump", exitCode: null },
        {
          retryable: false,
          hint: "something changed the dump in the source's staging directory; run apply again to take a new snapshot",
        },
      );
    }
    if (result.damaged.length > 0)
      context.log.warn(
        `${result.damaged.length} chunk(s) of ${db.name} held on ${target.host} were damaged (${result.damaged.join(", ")}); removed, their bytes sent again`,
      );
    context.log.info(`sent the dump of ${db.name} as a delta`, {
      dumpBytes: result.bytes,
      sent: result.sent,
      reused: result.reused,
      chunks: result.chunks,
      newChunks: result.newChunks,
    });
    results.push(result);
  }
  return dumpFigures(results);
}
