/**
 * Evidence that a file on the target was hashed THERE and has not changed since: its digest with
 * the identity the target listed it by (device, inode, size, mtime, ctime) and the target's clock
 * when that listing began. A write, chmod, chown, utime or replacement changes the ctime or the
 * inode, and no tool sets a ctime back, so a file listed again with the same five fields still
 * holds the bytes that were hashed (the rule git's index and backup tools use). A file changed
 * within racySeconds() before its listing is not vouched for: the kernel stamps times from a
 * coarse clock (one tick, at most 10 ms, behind), so a write in the same tick as the change the
 * listing saw could leave the ctime equal after the digest was read; such a file is hashed again.
 * Any later write is stamped at least `at` minus one tick, so two ticks suffice where the file
 * system keeps sub-second times; one that stamps whole seconds needs two seconds.
 *
 * Written by the in-place check and by seed import (both compute digests on the target), read by
 * the next in-place check, in the workload's local work directory beside its manifests: a lost
 * state directory loses it too, and then every candidate is hashed again.
 */
import { createReadStream } from "node:fs";
import { appendFile, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { mergeRuns } from "../manifest/merge-runs.ts";
import { comparePaths, type HashAlgorithm, type ManifestEntry } from "../manifest/model.ts";
import { MERGE_FAN_IN, mergeJoin, readLines, type Sorted, SortedWriter } from "../manifest/sorted-file.ts";

export const EVIDENCE_FILE = "target-evidence.jsonl";

/**
 * How close before a listing a change may share its ctime with a later write: two clock ticks
 * (HZ ≥ 100), or two seconds when the ctime has no sub-second part (a file system that stamps
 * whole seconds). Ten ticks re-hashed 38 % of a 50,000-file tree whose batches are verified
 * within 0.2 s of their extraction.
 */
export function racySeconds(ctime: string): number {
  return /\.\d*[1-9]/.test(ctime) ? 0.02 : 2;
}

export const EvidenceRecord = z.object({
  host: z.string(),
  hash: z.enum(["sha256", "sm3"]),
  path: z.string(),
  dev: z.string(),
  ino: z.string(),
  size: z.number(),
  mtime: z.string(),
  ctime: z.string(),
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  /** The target's clock (`date +%s.%N`) when the listing that saw the file began. */
  at: z.string(),
});
export type EvidenceRecord = z.infer<typeof EvidenceRecord>;

/** Records about `host` with digests of `hash`, by path; no file (or a torn line) is no evidence. */
export async function readEvidence(
  file: string,
  host: string,
  hash: HashAlgorithm,
): Promise<Map<string, EvidenceRecord>> {
  const records = new Map<string, EvidenceRecord>();
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return records;
    throw error;
  }
  for (const line of text.split("\n")) {
    if (line === "") continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    const record = EvidenceRecord.safeParse(parsed);
    if (record.success && record.data.host === host && record.data.hash === hash)
      records.set(record.data.path, record.data);
  }
  return records;
}

const TEXT_FIELDS = ["host", "path", "dev", "ino", "mtime", "ctime", "at"] as const;

/**
 * A parsed line as a record, or undefined when it is not one: the schema's rules checked by
 * hand, because `EvidenceRecord.safeParse` cost more than the JSON.parse (~6 µs a record
 * against ~4 here), and the cutover reads one record per file of the tree.
 */
function asEvidence(value: unknown): EvidenceRecord | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (TEXT_FIELDS.some((field) => typeof record[field] !== "string")) return undefined;
  if (record.hash !== "sha256" && record.hash !== "sm3") return undefined;
  if (typeof record.size !== "number") return undefined;
  if (typeof record.digest !== "string" || !/^[0-9a-f]{64}$/.test(record.digest)) return undefined;
  return record as EvidenceRecord;
}

const PATH_KEY = Buffer.from('"path":"');

/**
 * The path a line's `"path"` key holds, read from its bytes without parsing the record (a
 * quote inside a string is escaped, so the key's text occurs nowhere else); undefined when the
 * line has none (torn, not a record).
 */
function pathIn(chunk: Buffer, start: number, end: number): string | undefined {
  const key = chunk.indexOf(PATH_KEY, start);
  if (key === -1 || key >= end) return undefined;
  const from = key + PATH_KEY.length;
  let escaped = false;
  for (let index = from; index < end; index++) {
    const byte = chunk[index];
    if (byte === 0x5c) {
      escaped = true;
      index++;
    } else if (byte === 0x22) {
      const text = chunk.toString("utf8", from, index);
      if (!escaped) return text;
      try {
        return JSON.parse(`"${text}"`) as string;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/**
 * Byte ranges of `file` in each of which the records' paths ascend, or undefined when there are
 * more than `limit`. The transfer appends each batch's evidence in path order and batches in
 * order, so the file is a few ascending runs: merged as they lie, it needs no sort (which cost
 * ~0.7 s of a 50,000-file cutover's downtime: every record parsed, written and parsed again).
 */
async function ascendingRanges(
  file: string,
  limit: number,
): Promise<{ start: number; end: number }[] | undefined> {
  const ranges: { start: number; end: number }[] = [];
  let start = 0;
  let offset = 0;
  let last: string | undefined;
  let rest: Buffer = Buffer.alloc(0);
  for await (const read of createReadStream(file, { highWaterMark: 64 * 1024 })) {
    const chunk = rest.length > 0 ? Buffer.concat([rest, read as Buffer]) : (read as Buffer);
    let from = 0;
    for (let end = chunk.indexOf(10); end !== -1; end = chunk.indexOf(10, from)) {
      const path = pathIn(chunk, from, end);
      if (path !== undefined) {
        if (last !== undefined && comparePaths(last, path) >= 0) {
          ranges.push({ start, end: offset + from });
          if (ranges.length >= limit) return undefined;
          start = offset + from;
        }
        last = path;
      }
      from = end + 1;
    }
    offset += from;
    rest = chunk.subarray(from);
  }
  ranges.push({ start, end: offset + rest.length });
  return ranges.length > limit ? undefined : ranges;
}

/** The records about `host` with `hash` in a range of the file, each path above the one before. */
async function* recordsIn(
  file: string,
  range: { start: number; end: number },
  host: string,
  hash: HashAlgorithm,
): AsyncGenerator<EvidenceRecord> {
  let last: string | undefined;
  for await (const line of readLines(file, range)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue; // a torn line is no evidence
    }
    const record = asEvidence(parsed);
    if (record === undefined || record.host !== host || record.hash !== hash) continue;
    // Out of order only if the line's text misled the split (a key given twice): left out, so
    // the merge stays in order; the file it vouched for is hashed again.
    if (last !== undefined && comparePaths(last, record.path) >= 0) continue;
    last = record.path;
    yield record;
  }
}

/**
 * The evidence about `host` in path order (a later record of a path wins): the file's ascending
 * runs merged as they lie, or, when there are many, sorted on disk in `workDir`. Read beside a
 * sorted listing without holding either. No file is no evidence.
 */
export async function* evidenceSorted(
  file: string,
  workDir: string,
  host: string,
  hash: HashAlgorithm,
  /** Smaller in tests: `ranges: 0` always sorts. */
  tuning: { runRecords?: number; ranges?: number } = {},
): AsyncGenerator<EvidenceRecord> {
  const { runRecords } = tuning;
  let ranges: { start: number; end: number }[] | undefined;
  try {
    ranges = await ascendingRanges(file, tuning.ranges ?? MERGE_FAN_IN);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  if (ranges !== undefined) {
    yield* mergeRuns(
      ranges.map((range) => recordsIn(file, range, host, hash)),
      (record) => record.path,
      comparePaths,
    );
    return;
  }
  const sorter = new SortedWriter<EvidenceRecord>({
    key: (record) => record.path,
    compare: comparePaths,
    workDir,
    ...(runRecords === undefined ? {} : { runRecords }),
  });
  try {
    for await (const line of readLines(file)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        continue; // a torn last line is no evidence
      }
      const record = asEvidence(parsed);
      if (record !== undefined && record.host === host && record.hash === hash) {
        sorter.add(record);
        await sorter.settle();
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  yield* sorter.sorted();
}

/** The digest a listed target file still has when `record` vouches for it, else undefined. */
export function vouchedDigest(there: ManifestEntry, record: EvidenceRecord | undefined): string | undefined {
  if (record === undefined || there.type !== "file") return undefined;
  const same =
    record.dev === there.dev &&
    record.ino === there.ino &&
    record.size === there.size &&
    record.mtime === there.mtime &&
    record.ctime === there.ctime;
  const settled = Number(there.ctime) < Number(record.at) - racySeconds(there.ctime);
  return same && settled ? record.digest : undefined;
}

/**
 * A target's listing (path order) with the digests `evidence` (path order) vouches for; the
 * files it does not vouch for are pushed to `unvouched`.
 */
export async function* vouchedEntries(
  listing: Sorted<ManifestEntry>,
  evidence: Sorted<EvidenceRecord>,
  unvouched: ManifestEntry[],
): AsyncGenerator<ManifestEntry> {
  const pairs = mergeJoin(listing, evidence, {
    left: (entry) => entry.path,
    right: (record) => record.path,
    compare: comparePaths,
  });
  for await (const { left: entry, right: record } of pairs) {
    if (entry === undefined) continue;
    const digest = vouchedDigest(entry, record);
    if (digest !== undefined) entry.hash = digest;
    else if (entry.type === "file") unvouched.push(entry);
    yield entry;
  }
}

/** Evidence for files just hashed on `host` (entries as the target listed them, with `hash`). */
export function evidenceOf(
  entries: readonly ManifestEntry[],
  host: string,
  hash: HashAlgorithm,
  at: string,
): EvidenceRecord[] {
  return entries.flatMap((entry) =>
    entry.type === "file" && entry.hash !== undefined
      ? [
          {
            host,
            hash,
            path: entry.path,
            dev: entry.dev,
            ino: entry.ino,
            size: entry.size,
            mtime: entry.mtime,
            ctime: entry.ctime,
            digest: entry.hash,
            at,
          },
        ]
      : [],
  );
}

function lines(records: readonly EvidenceRecord[]): string {
  return records.map((record) => `${JSON.stringify(record)}\n`).join("");
}

/** Replace the evidence with `records` (what the latest check hashed or found vouched for). */
export async function writeEvidence(file: string, records: readonly EvidenceRecord[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, lines(records));
  await rename(`${file}.tmp`, file);
}

/** Add records (seed import, chunk by chunk); a later record for a path wins on reading. */
export async function appendEvidence(file: string, records: readonly EvidenceRecord[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await appendFile(file, lines(records));
}
