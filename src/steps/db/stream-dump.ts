/**
 * A fresh dump streamed straight from the source's dump command into a file on the target,
 * through the orchestrator's meter (shared bandwidth budget), without a copy on the source.
 */
import { createHash } from "node:crypto";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Database } from "../../plan/schema.ts";
import { checkResult } from "../../remote/check-result.ts";
import { databaseDeadlineMs, hashStallMs, transferStallMs } from "../../remote/deadline.ts";
import { sh } from "../../remote/shell.ts";
import type { Remote } from "../../remote/types.ts";
import { MeterStream } from "../../transfer/meter.ts";
import type { Throttle } from "../../transfer/types.ts";
import { engineFor } from "./engines.ts";
import { withDatabasePassword } from "./password.ts";

/** Resolves with the bytes sent and the SHA-256 of the dump as it left the source. */
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
  },
): Promise<{ bytes: number; sha256: string }> {
  // PostgreSQL counts every table inside the snapshot before pg_dump writes a byte: the stall
  // window allows for that silence.
  const timing = {
    signal: options.signal,
    timeoutMs: databaseDeadlineMs(options.sizeBytes),
    idleTimeoutMs: hashStallMs(options.sizeBytes) + transferStallMs(options.throttle.budget),
  };
  const sink = await target.stream(
    sh`umask 077 && mkdir -p ${file.replace(/\/[^/]*$/, "")} && cat > ${`${file}.tmp`} && mv -f ${`${file}.tmp`} ${file}`,
    timing,
  );
  const command = withDatabasePassword(db, engineFor(db).dumpWithCounts(db, options.countsFile));
  const dump = await source.stream(command.command, timing);
  dump.stdin.on("error", () => {});
  dump.stdin.end(command.stdin);
  const meter = new MeterStream(options.throttle, options.signal, options.onBytes);
  const digest = createHash("sha256");
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      digest.update(chunk);
      done(null, chunk);
    },
  });
  const [piped, dumped, stored] = await Promise.allSettled([
    pipeline(dump.stdout, hashing, meter, sink.stdin, { signal: options.signal }),
    dump.done,
    sink.done,
  ]);
  for (const outcome of [dumped, stored]) {
    if (outcome.status === "rejected") throw outcome.reason;
    // A broken stream is worth another attempt; the dump is taken again whole.
    checkResult(outcome.value, { what: `streaming the dump of ${db.name}`, retryable: true });
  }
  if (piped.status === "rejected") throw piped.reason;
  return { bytes: meter.bytes, sha256: digest.digest("hex") };
}
