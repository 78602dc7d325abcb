/**
 * Sorted JSONL files on disk, gzip-compressed: a manifest of a million files stays on disk and
 * is read back one line at a time, so the orchestrator's memory does not grow with the number
 * of files (and no manifest is ever one string: V8 refuses strings above ~1 GiB).
 *
 * Records arrive in any order and are sorted like an external sort: runs of RUN_RECORDS sorted
 * in memory and written to temporary files, then merged at most MERGE_FAN_IN at a time. Equal
 * keys keep the record added last.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { StringDecoder } from "node:string_decoder";
import { createGunzip, createGzip } from "node:zlib";
import { mergeRuns } from "./merge-runs.ts";

/** Records held in memory before a sorted run goes to disk (a few MB of manifest entries). */
export const RUN_RECORDS = 10_000;

/**
 * Runs read at once by a merge. Each open run costs ~1 MiB at its peak (its read buffers, the
 * decoded chunk its lines are sliced from, and the garbage of both, which lives long enough to
 * be promoted while the other runs advance): merging every run at once made the snapshot of a
 * million files (two sorts of 100 runs) peak at ~200 MiB more than one of 100,000. More runs
 * than this are first merged in groups into longer runs (one more pass over the data, on disk).
 */
export const MERGE_FAN_IN = 16;

const GZIP_MAGIC = 0x1f8b;
/** What LineWriter encodes lines into before handing them to the stream. */
const CHUNK_BYTES = 256 * 1024;
const NEWLINE = 0x0a;

/**
 * Lines of a file written here (gzip, or plain for temporary files) or by an older migrate
 * (plain JSONL). Split by hand, not by readline: readline queues up to a thousand lines per open
 * file ahead of its reader, and a merge of a million records opens a hundred runs at once. Here
 * a reader holds one chunk.
 */
export async function* readLines(
  file: string,
  /** Bytes [start, end) of a plain (uncompressed) file only. */
  range?: { start: number; end: number },
): AsyncGenerator<string> {
  let gzip = false;
  if (range === undefined) {
    const handle = await open(file, "r");
    const magic = Buffer.alloc(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0);
    await handle.close();
    gzip = bytesRead === 2 && magic.readUInt16BE(0) === GZIP_MAGIC;
  } else if (range.end <= range.start) return;
  const raw = createReadStream(file, {
    highWaterMark: 16 * 1024,
    ...(range === undefined ? {} : { start: range.start, end: range.end - 1 }),
  });
  const stream: Readable = gzip ? raw.pipe(createGunzip()) : raw;
  raw.on("error", (error) => stream.destroy(error));
  const decoder = new StringDecoder("utf8");
  let rest = "";
  try {
    for await (const chunk of stream) {
      const text = rest + decoder.write(chunk as Buffer);
      let start = 0;
      for (let end = text.indexOf("\n"); end !== -1; end = text.indexOf("\n", start)) {
        if (end > start) yield text.slice(start, text.charCodeAt(end - 1) === 13 ? end - 1 : end);
        start = end + 1;
      }
      rest = text.slice(start);
    }
    rest += decoder.end();
    if (rest.length > 0) yield rest;
  } finally {
    raw.destroy();
    stream.destroy();
  }
}

/**
 * Writes lines through gzip to a file (level 0: plain, for temporary files read back once, where
 * compressing and inflating cost more than the disk); `close()` flushes and fsyncs it.
 */
export class LineWriter {
  private readonly gzip: Writable;
  private readonly done: Promise<void>;
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;

  constructor(
    readonly file: string,
    level = 6,
  ) {
    const out = createWriteStream(file);
    if (level === 0) this.gzip = out;
    else {
      this.gzip = createGzip({ level });
      this.gzip.pipe(out);
    }
    this.done = finished(out);
    this.done.catch(() => {});
  }

  /**
   * Each line is encoded straight into the chunk: joining a chunk's lines into one string and
   * encoding that cost ~4x the CPU (the lines are concatenations V8 must flatten first, then the
   * joined string is copied again; 0.65 s against 0.05 s per 100,000 manifest lines).
   */
  async write(line: string): Promise<void> {
    // A UTF-16 unit takes at most 3 bytes of UTF-8 (a surrogate pair, 4 for 2 units).
    const most = line.length * 3 + 1;
    if (this.used + most > this.chunk.length) {
      await this.flush();
      if (most > this.chunk.length) return this.send(Buffer.from(`${line}\n`));
    }
    this.used += this.chunk.write(line, this.used);
    this.chunk[this.used++] = NEWLINE;
  }

  private async flush(): Promise<void> {
    if (this.used === 0) return;
    // The stream keeps the bytes until it has written them: a new chunk, never the same one.
    const bytes = this.chunk.subarray(0, this.used);
    this.chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
    await this.send(bytes);
  }

  private async send(bytes: Buffer): Promise<void> {
    // A file that cannot be written (its directory gone, the disk full) never drains: its error
    // ends the wait instead of leaving it pending for ever.
    if (!this.gzip.write(bytes))
      await Promise.race([new Promise<void>((resolve) => this.gzip.once("drain", resolve)), this.done]);
  }

  async close(): Promise<void> {
    await this.flush();
    this.gzip.end();
    await this.done;
    const handle = await open(this.file, "r+");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

/**
 * Collects records in any order and writes them sorted by `compare` on their keys. Memory holds
 * one run; a larger set goes to disk in runs, merged at `finish`.
 */
export class SortedWriter<T> {
  private records: T[] = [];
  private runs: string[] = [];
  private tempDir: string | undefined;
  /** Run files written so far, merged ones included: names each new run. */
  private written = 0;

  constructor(
    private readonly options: {
      key: (record: T) => string;
      compare: (a: string, b: string) => number;
      /** Directory for temporary runs (the output's directory: same disk, removed at finish). */
      workDir: string;
      runRecords?: number;
      /** Runs merged at once (MERGE_FAN_IN); smaller in tests. */
      fanIn?: number;
    },
  ) {}

  /** Adds a record; call `settle()` now and then so a full run goes to disk. */
  add(record: T): void {
    this.records.push(record);
  }

  async settle(): Promise<void> {
    if (this.records.length >= (this.options.runRecords ?? RUN_RECORDS)) await this.spill();
  }

  /** Records added so far. */
  get count(): number {
    return this.runCounts + this.records.length;
  }
  private runCounts = 0;

  private sortRun(): T[] {
    const { key, compare } = this.options;
    // Stable sort, then the last of equal keys kept: a later record replaces an earlier one.
    const sorted = this.records.sort((a, b) => compare(key(a), key(b)));
    const unique: T[] = [];
    for (const record of sorted) {
      const last = unique.at(-1);
      if (last !== undefined && compare(key(last), key(record)) === 0) unique[unique.length - 1] = record;
      else unique.push(record);
    }
    this.records = [];
    return unique;
  }

  private async spill(): Promise<void> {
    const run = this.sortRun();
    this.runCounts += run.length;
    this.runs.push(await this.writeRun(run));
  }

  private async writeRun(records: Iterable<T> | AsyncIterable<T>): Promise<string> {
    this.tempDir ??= await mkdtemp(join(this.options.workDir, ".sort-"));
    const file = join(this.tempDir, `run-${this.written++}.jsonl`);
    const writer = new LineWriter(file, 0);
    for await (const record of records) await writer.write(JSON.stringify(record));
    await writer.close();
    return file;
  }

  private merged(runs: readonly string[]): AsyncGenerator<T> {
    return mergeRuns(
      runs.map((file) => parsed<T>(readLines(file))),
      this.options.key,
      this.options.compare,
    );
  }

  /**
   * Merges consecutive groups of runs into one run each until at most the fan-in remain; a
   * group keeps its place among the runs, so a later record still replaces an earlier one.
   */
  private async narrow(): Promise<void> {
    const fanIn = Math.max(2, this.options.fanIn ?? MERGE_FAN_IN);
    while (this.runs.length > fanIn) {
      const next: string[] = [];
      for (let start = 0; start < this.runs.length; start += fanIn) {
        const group = this.runs.slice(start, start + fanIn);
        if (group.length === 1) next.push(group[0]!);
        else {
          next.push(await this.writeRun(this.merged(group)));
          await Promise.all(group.map((file) => rm(file, { force: true })));
        }
      }
      this.runs = next;
    }
  }

  /** The records in order, each key once; temporary runs are removed once read. */
  async *sorted(): AsyncGenerator<T> {
    try {
      if (this.runs.length === 0) {
        yield* this.sortRun();
        return;
      }
      if (this.records.length > 0) await this.spill();
      await this.narrow();
      yield* this.merged(this.runs);
    } finally {
      if (this.tempDir) await rm(this.tempDir, { recursive: true, force: true });
    }
  }
}

async function* parsed<T>(lines: AsyncIterable<string>): AsyncGenerator<T> {
  for await (const line of lines) yield JSON.parse(line) as T;
}

/** Records in key order: a stream read from disk, or an array (small sets, tests). */
export type Sorted<T> = AsyncIterable<T> | Iterable<T>;

function iterate<T>(records: Sorted<T>): AsyncIterator<T> | Iterator<T> {
  return Symbol.asyncIterator in records ? records[Symbol.asyncIterator]() : records[Symbol.iterator]();
}

/**
 * Walks two streams sorted by the same order together: each key once, with the record of each
 * side that has it. The comparison of two manifests without holding either.
 */
export async function* mergeJoin<A, B>(
  left: Sorted<A>,
  right: Sorted<B>,
  keys: {
    left: (record: A) => string;
    right: (record: B) => string;
    compare: (a: string, b: string) => number;
  },
): AsyncGenerator<{ key: string; left?: A; right?: B }> {
  const a = iterate(left);
  const b = iterate(right);
  let x = await a.next();
  let y = await b.next();
  while (!x.done || !y.done) {
    const order = x.done ? 1 : y.done ? -1 : keys.compare(keys.left(x.value), keys.right(y.value));
    if (order < 0 && !x.done) {
      yield { key: keys.left(x.value), left: x.value };
      x = await a.next();
    } else if (order > 0 && !y.done) {
      yield { key: keys.right(y.value), right: y.value };
      y = await b.next();
    } else if (!x.done && !y.done) {
      yield { key: keys.left(x.value), left: x.value, right: y.value };
      x = await a.next();
      y = await b.next();
    }
  }
}
