/**
 * One large file, moved in ranges (ranges.ts) over one stream: `dd` on the source reads from the
 * resume offset to the end; the orchestrator hashes each range as it passes; the target appends
 * each range to a partial copy beside the file, hashing it on the way in (no second read), makes
 * it durable and prints its digest (range-receive.ts). Equal digests make the range verified and journaled. When every range
 * is in, the partial copy gets the entry's owner, mode and mtime and is renamed over the file.
 */
import { createHash, type Hash } from "node:crypto";
import { type Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { RemoteError } from "../errors.ts";
import { collectManifest } from "../manifest/collect.ts";
import { type HashAlgorithm, type ManifestEntry, mismatchedPaths } from "../manifest/model.ts";
import { checkResult } from "../remote/check-result.ts";
import { hashDeadlineMs, STALL_MS, transferDeadlineMs, transferStallMs } from "../remote/deadline.ts";
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import { unchanged } from "./delta.ts";
import { MeterStream } from "./meter.ts";
import { receiveCommand } from "./range-receive.ts";
import { partialPath, planRanges, type RangeProgress, resumeOffset } from "./ranges.ts";
import type { Throttle } from "./types.ts";

export interface RangeSendOptions {
  source: Remote;
  target: Remote;
  hash: HashAlgorithm;
  signal: AbortSignal;
  throttle: Throttle;
  onBytes: (bytes: number) => void;
  /** The workload root the file lies under (on the target: a symlinked root is followed). */
  root: string;
  /** Where an earlier attempt left off, if it was on this file. */
  resume: RangeProgress | undefined;
  /** Journal a verified range; resolves when it is durable. */
  onRange: (progress: RangeProgress) => Promise<void>;
  /** The target runs the Python receiver (range-receive.ts); else the sh one. */
  python: boolean;
}

export interface RangeSendResult {
  /** Bytes sent over the link in this attempt. */
  bytesSent: number;
  /** Offset this attempt started from (what an earlier attempt had verified). */
  resumedFrom: number;
  /** The source changed the file meanwhile: the partial copy is dropped; the final sync sends it. */
  changed: boolean;
}

/** Exit status of the target scripts when a directory on the way is a symlink. */
const SYMLINK_EXIT = 9;

/** Makes the directories down to the file (refusing a symlink below the root) and readies the partial copy. */
const PREPARE = `part=$1 root=$2 through=$3 ino=$4
dir=\${part%/*} d=\${root%/}
rest=\${dir#"$d"}
# The root as tar would make it (with its parents) when missing; a symlink to a directory is kept.
[ -d "$d" ] || mkdir -p -- "$d" || exit 1
IFS=/
for c in $rest; do
  [ -n "$c" ] || continue
  d=$d/$c
  if [ -L "$d" ]; then printf '%s is a symlink\\n' "$d" >&2; exit ${SYMLINK_EXIT}; fi
  [ -d "$d" ] || mkdir -- "$d" || exit 1
done
unset IFS
if [ -L "$part" ] || { [ -e "$part" ] && [ ! -f "$part" ]; }; then rm -rf -- "$part" || exit 1; fi
if [ -f "$part" ]; then
  set -- $(stat -c '%i %s' -- "$part")
  if [ "$1" = "$ino" ] && [ "$2" -ge "$through" ]; then truncate -s "$through" -- "$part" && echo "$1 $through" && exit 0; fi
fi
rm -f -- "$part" && (umask 077 && : > "$part") && echo "$(stat -c %i -- "$part") 0"`;

/** Gives the partial copy the entry's owner, mode and mtime and renames it over the file. */
const FINISH = `part=$1 file=$2 owner=$3 mode=$4 mtime=$5
chown -h -- "$owner" "$part" && chmod -- "$mode" "$part" && touch -m -d "@$mtime" -- "$part" && mv -f -- "$part" "$file"`;

/** Hashes the stream range by range as it passes on unchanged. */
class RangeHasher extends Transform {
  readonly digests: string[] = [];
  private index = 0;
  private left: number;
  private hash: Hash;

  constructor(
    private readonly algorithm: HashAlgorithm,
    private readonly lengths: readonly number[],
    private readonly onDigest: () => void,
  ) {
    super();
    this.left = lengths[0] ?? 0;
    this.hash = createHash(algorithm);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let rest = chunk;
    while (rest.length > 0 && this.index < this.lengths.length) {
      const take = Math.min(this.left, rest.length);
      this.hash.update(rest.subarray(0, take));
      rest = rest.subarray(take);
      this.left -= take;
      if (this.left === 0) {
        this.digests.push(this.hash.digest("hex"));
        this.index += 1;
        this.left = this.lengths[this.index] ?? 0;
        this.hash = createHash(this.algorithm);
        this.onDigest();
      }
    }
    callback(null, chunk);
  }
}

/**
 * Lines of a stream until it ends or is destroyed (readline would wait for an end that a
 * destroyed channel never emits).
 */
function readLines(stream: Readable, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let rest = "";
    stream.setEncoding("utf8");
    stream.on("data", (text: string) => {
      const lines = (rest + text).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    });
    stream.once("error", reject);
    stream.once("end", resolve);
    stream.once("close", resolve);
  });
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, "0");
}

async function prepare(
  target: Remote,
  part: string,
  options: RangeSendOptions,
  entry: ManifestEntry,
): Promise<number> {
  const resume = options.resume?.path === entry.path ? options.resume : undefined;
  const result = await target.run(
    sh`sh -c ${PREPARE} prepare ${part} ${options.root} ${String(resume?.through ?? 0)} ${resume?.ino ?? "-"}`,
    { signal: options.signal, timeoutMs: hashDeadlineMs(0) },
  );
  if (result.exitCode === SYMLINK_EXIT) {
    throw new RemoteError(
      "remote",
      `refusing to write ${entry.path} on ${target.host}: ${result.stderr.trim()}`,
      { host: target.host, command: "prepare partial copy", exitCode: SYMLINK_EXIT },
      {
        hint: "a directory below the workload's path is a symlink on the target; remove it",
        retryable: false,
      },
    );
  }
  checkResult(result, { what: `preparing the partial copy of ${entry.path}` });
  const [ino = "", size = "0"] = result.stdout.trim().split(" ");
  return resumeOffset(entry, resume, { ino, size: Number(size) });
}

/** The partial copy's inode, as prepare left it, for the checkpoint. */
async function partialInode(target: Remote, part: string, signal: AbortSignal): Promise<string> {
  const result = await target.check(sh`stat -c %i -- ${part}`, { signal, timeoutMs: hashDeadlineMs(0) });
  return result.stdout.trim();
}

/** Whether the source file is still as its manifest entry says (size, mtime, ctime, inode). */
async function unchangedOnSource(options: RangeSendOptions, entry: ManifestEntry): Promise<boolean> {
  const now = await collectManifest(options.source, [entry.path], {
    mode: "list",
    hash: "none",
    signal: options.signal,
    timeoutMs: hashDeadlineMs(0),
  });
  return now[0] !== undefined && unchanged(now[0], entry);
}

/** Streams `[from, size)` and journals each range whose digests agree. */
async function streamRanges(
  entry: ManifestEntry,
  part: string,
  from: number,
  ino: string,
  options: RangeSendOptions,
): Promise<number> {
  const lengths = planRanges(entry.size, from);
  const remaining = entry.size - from;
  const stream = {
    signal: options.signal,
    timeoutMs: transferDeadlineMs(remaining, options.throttle.budget),
    idleTimeoutMs: transferStallMs(options.throttle.budget),
  };
  const receive = await options.target.stream(
    receiveCommand(part, options.hash, from, lengths, options.python),
    stream,
  );
  const read = await options.source.stream(
    sh`dd if=${entry.path} bs=1M skip=${String(from)} count=${String(remaining)} iflag=skip_bytes,count_bytes status=none`,
    stream,
  );
  read.stdin.on("error", () => {});
  read.stdin.end();
  const meter = new MeterStream(options.throttle, options.signal, options.onBytes);
  let verified = 0;
  let through = from;
  const theirs: string[] = [];
  // Ranges are journaled in order, one at a time, once both digests of a range are known.
  let journaling: Promise<void> = Promise.resolve();
  const settle = (): void => {
    while (verified < theirs.length && verified < hasher.digests.length) {
      const index = verified;
      if (theirs[index] !== hasher.digests[index]) {
        journaling = Promise.reject(
          new RemoteError(
            "remote",
            `range ${index + 1} of ${entry.path} arrived damaged on ${options.target.host} (digest ${theirs[index]}, sent ${hasher.digests[index]})`,
            { host: options.target.host, command: "receive range", exitCode: null },
            {
              retryable: true,
              hint: "the range is sent again on retry; if it keeps failing, check the target's disk",
            },
          ),
        );
        journaling.catch(() => {});
        return;
      }
      through += lengths[index]!;
      verified += 1;
      const progress = { path: entry.path, ino, through, digest: theirs[index]! };
      journaling = journaling.then(() => options.onRange(progress));
      journaling.catch(() => {});
    }
  };
  const hasher = new RangeHasher(options.hash, lengths, settle);
  // On a stop the channel may be settled without closing its stdout: stop reading it then.
  const stopReading = () => receive.stdout.destroy();
  options.signal.addEventListener("abort", stopReading, { once: true });
  const digestsRead = readLines(receive.stdout, (line) => {
    theirs.push(line.trim());
    settle();
  });
  const piped = pipeline(read.stdout, meter, hasher, receive.stdin, { signal: options.signal });
  const [pipeResult, readDone, receiveDone, digestsDone] = await Promise.allSettled([
    piped,
    read.done,
    receive.done,
    digestsRead,
  ]);
  options.signal.removeEventListener("abort", stopReading);
  options.signal.throwIfAborted();
  if (readDone.status === "rejected") throw readDone.reason;
  if (receiveDone.status === "rejected") throw receiveDone.reason;
  checkResult(readDone.value, { what: `reading ${entry.path}`, retryable: true });
  checkResult(receiveDone.value, { what: `receiving ${entry.path}`, retryable: true });
  if (pipeResult.status === "rejected") throw pipeResult.reason;
  if (digestsDone.status === "rejected") throw digestsDone.reason;
  await journaling;
  if (verified !== lengths.length)
    throw new RemoteError(
      "remote",
      `${entry.path}: ${lengths.length - verified} range(s) were not confirmed by ${options.target.host}`,
      { host: options.target.host, command: "receive range", exitCode: null },
      { retryable: true },
    );
  return meter.bytes;
}

/** Moves one large file by ranges, resuming after the last range an earlier attempt verified. */
export async function sendByRanges(
  entry: ManifestEntry,
  options: RangeSendOptions,
): Promise<RangeSendResult> {
  const part = partialPath(entry.path);
  const from = await prepare(options.target, part, options, entry);
  const ino = await partialInode(options.target, part, options.signal);
  const bytesSent = from < entry.size ? await streamRanges(entry, part, from, ino, options) : 0;
  if (!(await unchangedOnSource(options, entry))) {
    await options.target.check(sh`rm -f -- ${part}`, {
      signal: options.signal,
      timeoutMs: hashDeadlineMs(0),
    });
    return { bytesSent, resumedFrom: from, changed: true };
  }
  await options.target.check(
    sh`sh -c ${FINISH} finish ${part} ${entry.path} ${`${entry.uid}:${entry.gid}`} ${octal(entry.mode)} ${entry.mtime}`,
    { signal: options.signal, timeoutMs: hashDeadlineMs(0) },
  );
  // The content was verified range by range; what is left to see is the file's metadata.
  const [there] = await collectManifest(options.target, [entry.path], {
    mode: "list",
    hash: "none",
    signal: options.signal,
    timeoutMs: hashDeadlineMs(0),
    idleTimeoutMs: STALL_MS,
  });
  if (there === undefined || mismatchedPaths([entry], [{ ...there, hash: entry.hash }]).length > 0)
    throw new RemoteError(
      "remote",
      `${entry.path} on ${options.target.host} does not match its manifest entry after transfer`,
      { host: options.target.host, command: "verify large file", exitCode: null },
      {
        retryable: true,
        hint: "the file is sent again on retry; if it keeps failing, check the target's disk",
      },
    );
  return { bytesSent, resumedFrom: from, changed: false };
}
