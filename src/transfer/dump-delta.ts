/**
 * A database dump sent as a delta against the chunks the target already holds. The dump is
 * cut into content-defined chunks here as it streams from the source (cdc.ts), each named by its
 * digest (the workload's algorithm); the target keeps the chunks of every dump it received, and
 * of the dumps a seed bundle carried, in its chunk store. Only chunks the store lacks cross the
 * link (as one gzip'd tar stream); the target then puts the dump together from its store in
 * order and computes its digest there, which must equal the digest of the bytes the source sent.
 * When it does not, a stored chunk is damaged: every chunk the dump uses is hashed on the target,
 * the damaged ones are named and removed, and the dump is read again with their bytes sent.
 */
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { RemoteError } from "../errors.ts";
import type { HashAlgorithm } from "../manifest/model.ts";
import { checkResult } from "../remote/check-result.ts";
import { sh } from "../remote/shell.ts";
import type { Remote, RunResult } from "../remote/types.ts";
import { ChunkSplitter } from "./cdc.ts";
import { MeterStream } from "./meter.ts";
import type { Throttle } from "./types.ts";
import { ustarEnd, ustarMember } from "./ustar.ts";

/** The target's chunk store: the workload's private scratch directory (mode 700), one file per chunk, named by its digest. */
export function chunkStore(stagingDir: string): string {
  return `${stagingDir}/chunks`;
}

/** A digest of stdin (or of the named files) with the workload's algorithm; SM3 needs OpenSSL. */
const DIGEST = `digest() { if command -v openssl >/dev/null 2>&1; then openssl dgst -"$algo" -r "$@"; else sha256sum "$@"; fi; }`;

/** New chunks arrive as a gzip'd tar into a private directory, and join the store only when whole. */
const RECEIVE = `
set -eu
store=$1
umask 077
mkdir -p "$store"
inc=$(mktemp -d "$store/.incoming.XXXXXX")
trap 'rm -rf "$inc"' EXIT
gzip -dc | tar -C "$inc" --no-same-owner -xf -
find "$inc" -maxdepth 1 -type f -exec mv -f -t "$store" {} +
`;

/** The dump from the store, chunk names in order on stdin; its digest computed here decides. */
const ASSEMBLE = `
set -eu
store=$1 file=$2 algo=$3 want=$4
${DIGEST}
umask 077
mkdir -p "$(dirname "$file")"
cd "$store"
if ! xargs -r cat > "$file.tmp"; then rm -f "$file.tmp"; echo missing; exit 0; fi
got=$(digest < "$file.tmp" | cut -c1-64)
if [ "$got" = "$want" ]; then mv -f "$file.tmp" "$file"; echo ok; else rm -f "$file.tmp"; echo "$got"; fi
`;

/** Digests of the named chunks (stdin), computed on the target; a chunk gone from the store says so. */
const CHECK = `
set -eu
store=$1 algo=$2
${DIGEST}
cd "$store"
while IFS= read -r f; do
  if [ -f "$f" ]; then digest "$f"; else echo "missing *$f"; fi
done
`;

export interface DeltaOptions {
  target: Remote;
  /** Where the dump is put together on the target. */
  file: string;
  store: string;
  hash: HashAlgorithm;
  signal: AbortSignal;
  throttle: Throttle;
  /** Bytes as they go over the link (compressed). */
  onBytes: (bytes: number) => void;
  timeoutMs: number;
  idleTimeoutMs?: number;
}

export interface DeltaResult {
  /** The dump's size. */
  bytes: number;
  /** Bytes sent over the link: the chunks the store lacked, gzip'd, in tar. */
  sent: number;
  /** Bytes of the dump the target's store already held (a carried dump's, or an earlier one's). */
  reused: number;
  chunks: number;
  newChunks: number;
  /** The dump's digest (the workload's algorithm) and its SHA-256, as the source sent it. */
  digest: string;
  sha256: string;
  /** Stored chunks found damaged on the target (removed, their bytes sent). */
  damaged: string[];
}

/** What a dump source hands over: its bytes, and its exit. */
export interface DumpSource {
  stdout: Readable;
  done: Promise<RunResult>;
}

export async function listStore(target: Remote, store: string, signal: AbortSignal): Promise<Set<string>> {
  const listed = await target.check(sh`umask 077 && mkdir -p ${store} && ls -1 ${store}`, {
    signal,
    timeoutMs: 60_000,
    // 65 bytes a chunk: a 100 GiB dump's 1.6 million chunks list in about 100 MiB.
    maxBuffer: 256 * 1024 * 1024,
  });
  return new Set(listed.stdout.split("\n").filter((name) => /^[0-9a-f]{64}$/.test(name)));
}

async function sendOnce(
  open: () => Promise<DumpSource>,
  known: ReadonlySet<string>,
  options: DeltaOptions,
): Promise<DeltaResult & { order: string[] }> {
  const { target, signal } = options;
  const timing = { signal, timeoutMs: options.timeoutMs, idleTimeoutMs: options.idleTimeoutMs };
  const sink = await target.stream(sh`sh -c ${RECEIVE} receive ${options.store}`, timing);
  const dump = await open();
  const splitter = new ChunkSplitter();
  const whole = createHash(options.hash);
  const sha256 = createHash("sha256");
  const order: string[] = [];
  const fresh = new Set<string>();
  const result = { bytes: 0, sent: 0, reused: 0, chunks: 0, newChunks: 0 };
  const name = (chunk: Buffer): Buffer[] => {
    const digest = createHash(options.hash).update(chunk).digest("hex");
    order.push(digest);
    result.chunks++;
    if (known.has(digest) || fresh.has(digest)) {
      if (known.has(digest)) result.reused += chunk.length;
      return [];
    }
    fresh.add(digest);
    result.newChunks++;
    return ustarMember(digest, chunk);
  };
  const chunking = new Transform({
    transform(data: Buffer, _encoding, done) {
      whole.update(data);
      sha256.update(data);
      result.bytes += data.length;
      for (const part of splitter.push(data).flatMap(name)) this.push(part);
      done();
    },
    flush(done) {
      for (const part of splitter.end().flatMap(name)) this.push(part);
      this.push(ustarEnd());
      done();
    },
  });
  const meter = new MeterStream(options.throttle, signal, options.onBytes);
  const [piped, dumped, stored] = await Promise.allSettled([
    pipeline(dump.stdout, chunking, createGzip({ level: 1 }), meter, sink.stdin, { signal }),
    dump.done,
    sink.done,
  ]);
  for (const outcome of [dumped, stored]) {
    if (outcome.status === "rejected") throw outcome.reason;
    // A broken stream is worth another attempt; the dump is read again whole.
    checkResult(outcome.value, { what: `streaming the dump to ${options.file}`, retryable: true });
  }
  if (piped.status === "rejected") throw piped.reason;
  result.sent = meter.bytes;
  return { ...result, digest: whole.digest("hex"), sha256: sha256.digest("hex"), damaged: [], order };
}

/** Put the dump together on the target; "ok", or why not (a chunk missing, another digest). */
async function assemble(options: DeltaOptions, order: readonly string[], digest: string): Promise<string> {
  const done = await options.target.check(
    sh`sh -c ${ASSEMBLE} assemble ${options.store} ${options.file} ${options.hash} ${digest}`,
    { stdin: `${order.join("\n")}\n`, signal: options.signal, timeoutMs: options.timeoutMs },
  );
  return done.stdout.trim();
}

/** Stored chunks among `names` whose digest on the target is not their name (or that are gone); removed. */
async function damagedChunks(options: DeltaOptions, names: readonly string[]): Promise<string[]> {
  const unique = [...new Set(names)];
  const checked = await options.target.check(sh`sh -c ${CHECK} check ${options.store} ${options.hash}`, {
    stdin: `${unique.join("\n")}\n`,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
  });
  const good = new Set<string>();
  for (const line of checked.stdout.split("\n")) {
    const match = /^([0-9a-f]{64}) [ *]?([0-9a-f]{64})$/.exec(line);
    if (match && match[1] === match[2]) good.add(match[2]!);
  }
  const damaged = unique.filter((chunk) => !good.has(chunk));
  if (damaged.length > 0)
    await options.target.check(sh`cd ${options.store} && rm -f -- ${damaged}`, {
      signal: options.signal,
      timeoutMs: 60_000,
    });
  return damaged;
}

/**
 * Send the dump `open()` streams as a delta against the target's chunk store and put it together
 * at `options.file`, verified by its digest computed there. `open` may be called twice: again
 * after damaged stored chunks were found and removed.
 */
export async function sendDumpDelta(
  open: () => Promise<DumpSource>,
  options: DeltaOptions,
): Promise<DeltaResult> {
  const known = await listStore(options.target, options.store, options.signal);
  const first = await sendOnce(open, known, options);
  const outcome = await assemble(options, first.order, first.digest);
  if (outcome === "ok") return { ...first, damaged: [] };
  const damaged = await damagedChunks(options, first.order);
  for (const chunk of damaged) known.delete(chunk);
  const again = await sendOnce(open, known, options);
  const second = await assemble(options, again.order, again.digest);
  if (second !== "ok") {
    throw new RemoteError(
      "verify",
      `the dump put together at ${options.file} on ${options.target.host} does not match what the source sent (${second})`,
      { host: options.target.host, command: "assemble dump", exitCode: null },
      {
        retryable: true,
        hint: "the dump is sent again on retry; if it keeps failing, check the target's disk",
      },
    );
  }
  return {
    ...again,
    sent: first.sent + again.sent,
    damaged,
  };
}
