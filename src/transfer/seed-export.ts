/**
 * `seed export`: the source's files into a bundle directory on the orchestrator's disk. The
 * manifest is computed on the source (with the workload's hash), cut into the same batches a
 * transfer uses, and each batch is archived by GNU tar on the source and streamed into one
 * chunk file, its digest computed here as the bytes arrive. The index is written last, so a
 * bundle without seed.json is an unfinished export; seed.partial.json, rewritten after every
 * chunk, lets it continue from its last complete chunk (seed-resume.ts).
 */
import { createWriteStream } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { collectManifest } from "../manifest/collect.ts";
import { type HashAlgorithm, type Manifest, manifestDigest, toJsonl, totalBytes } from "../manifest/model.ts";
import { checkResult } from "../remote/check-result.ts";
import type { Remote } from "../remote/types.ts";
import { planBatches } from "./batches.ts";
import { MeterStream } from "./meter.ts";
import {
  chunkFile,
  newDigest,
  SEED_MANIFEST,
  SEED_PARTIAL,
  type SeedChunk,
  type SeedDump,
  type SeedIndex,
  writeSeedIndex,
  writeSeedPartial,
} from "./seed-bundle.ts";
import { type DumpToExport, exportDumps } from "./seed-dumps.ts";
import { type ResumePoint, readResumePoint } from "./seed-resume.ts";
import { batchTimeoutMs } from "./sync.ts";
import { keepAttributes, tarCreate, tarList } from "./tar-pipe.ts";
import type { Throttle } from "./types.ts";

export interface ExportOptions {
  source: Remote;
  plan: string;
  workload: { name: string; source: string; paths: string[]; hash: HashAlgorithm };
  dir: string;
  signal: AbortSignal;
  throttle: Throttle;
  timeoutMs: number;
  /** Bytes of file content per chunk at most (a single larger file makes a chunk of its own). */
  chunkBytes: number;
  /** After each chunk is written; `bundle` is the manifest digest naming the bundle. */
  onChunk?: (chunk: SeedChunk, index: number, total: number, bundle: string) => Promise<void> | void;
  /** The workload's database dumps, taken after the files' chunks are written (seed-dumps.ts). */
  dumps?: readonly DumpToExport[];
  /** After each dump is written into the bundle. */
  onDump?: (dump: SeedDump, bundle: string) => void;
  /** When an unfinished export in `dir` is continued: its chunks found complete, of how many. */
  onResume?: (done: number, total: number, chunkBytes: number) => void;
}

/** Archive `paths` on the source into `file`; resolves with the archive's size and digest. */
async function archiveTo(
  options: ExportOptions,
  paths: readonly string[],
  file: string,
  contentBytes: number,
  attributes: boolean,
): Promise<{ bytes: number; digest: string }> {
  const { source, signal } = options;
  const create = await source.stream(tarCreate(attributes), {
    signal,
    timeoutMs: batchTimeoutMs(contentBytes),
  });
  create.stdin.on("error", () => {});
  create.stdin.end(tarList(paths));
  const digest = newDigest(options.workload.hash);
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      digest.update(chunk);
      callback(null, chunk);
    },
  });
  const meter = new MeterStream(options.throttle, signal, () => {});
  const [piped, created] = await Promise.allSettled([
    pipeline(create.stdout, meter, tap, createWriteStream(file), { signal }),
    create.done,
  ]);
  if (created.status === "rejected") throw created.reason;
  // tar exits 1 when a file changed while it was read: import verifies against the source then.
  if ((created.value.exitCode ?? 2) > 1) checkResult(created.value, { what: "tar", retryable: true });
  if (piped.status === "rejected") throw piped.reason;
  return { bytes: meter.bytes, digest: digest.digest("hex") };
}

/** A new export's starting point: the manifest computed on the source, written before any chunk. */
async function begin(options: ExportOptions): Promise<ResumePoint> {
  const { workload, dir, signal } = options;
  const entries = await collectManifest(options.source, workload.paths, {
    mode: "tree",
    hash: workload.hash,
    signal,
    timeoutMs: options.timeoutMs,
  });
  const manifest: Manifest = { hash: workload.hash, roots: workload.paths, entries };
  await writeFile(join(dir, SEED_MANIFEST), toJsonl(manifest));
  return { entries, manifestDigest: manifestDigest(manifest), chunkBytes: options.chunkBytes, chunks: [] };
}

export async function exportSeed(options: ExportOptions): Promise<SeedIndex> {
  const { workload, dir, signal } = options;
  await mkdir(dir, { recursive: true });
  const identity = {
    plan: options.plan,
    source: workload.source,
    workload: workload.name,
    hash: workload.hash,
  };
  const resumed = await readResumePoint(dir, { plan: options.plan, workload });
  const start = resumed ?? (await begin(options));
  const { entries, chunkBytes } = start;
  const bundle = start.manifestDigest;
  const batches = planBatches(entries, { maxBytes: chunkBytes, maxFiles: 20_000 });
  const chunks: SeedChunk[] = [];
  // Chunks are cut from the manifest alone, so a finished chunk holds exactly its batch's paths.
  for (const [index, chunk] of start.chunks.entries()) {
    const paths = batches[index]?.map((entry) => entry.path);
    if (paths === undefined || paths.join("\0") !== chunk.paths.join("\0")) break;
    chunks.push(chunk);
  }
  if (resumed) options.onResume?.(chunks.length, batches.length, chunkBytes);
  const progress = () =>
    writeSeedPartial(dir, { v: 1, ...identity, manifestDigest: bundle, chunkBytes, chunks });
  await progress();
  // ACLs, xattrs and capabilities travel in the bundle as they travel in a transfer: refused
  // here, before any chunk is written, when entries carry them and the source's tar cannot.
  const attributes = await keepAttributes([options.source], entries, signal);
  for (const [index, batch] of batches.entries()) {
    if (index < chunks.length) continue;
    signal.throwIfAborted();
    const file = chunkFile(index);
    const paths = batch.map((entry) => entry.path);
    const contentBytes = totalBytes(batch);
    const archived = await archiveTo(options, paths, join(dir, file), contentBytes, attributes);
    const chunk: SeedChunk = { file, bytes: archived.bytes, digest: archived.digest, paths, contentBytes };
    chunks.push(chunk);
    await progress();
    await options.onChunk?.(chunk, index, batches.length, bundle);
  }
  // Dumps come last and whole: an export continued after an interruption takes them again.
  const dumps: SeedDump[] = [];
  for (const dump of await exportDumps(dir, workload.hash, options.dumps ?? [], signal)) {
    dumps.push(dump);
    options.onDump?.(dump, bundle);
  }
  const index: SeedIndex = {
    v: 1,
    ...identity,
    createdAt: new Date().toISOString(),
    manifestDigest: bundle,
    chunks,
    ...(dumps.length > 0 ? { dumps } : {}),
  };
  await writeSeedIndex(dir, index);
  await rm(join(dir, SEED_PARTIAL), { force: true });
  return index;
}
