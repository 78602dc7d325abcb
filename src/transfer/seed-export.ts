/**
 * `seed export`: the source's files into a bundle directory on the orchestrator's disk. The
 * manifest is computed on the source (with the workload's hash), cut into the same batches a
 * transfer uses, and each batch is archived by GNU tar on the source and streamed into one
 * chunk file, its digest computed here as the bytes arrive. The index is written last, so a
 * bundle without seed.json is an unfinished export.
 */
import { createWriteStream } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { checkResult } from "../remote/check-result.ts";
import type { Remote } from "../remote/types.ts";
import { collectManifest } from "../steps/manifest/collect.ts";
import {
  type HashAlgorithm,
  type Manifest,
  manifestDigest,
  toJsonl,
  totalBytes,
} from "../steps/manifest/model.ts";
import type { Throttle } from "../steps/types.ts";
import { planBatches } from "./batches.ts";
import { MeterStream } from "./meter.ts";
import {
  chunkFile,
  newDigest,
  SEED_MANIFEST,
  type SeedChunk,
  type SeedIndex,
  writeSeedIndex,
} from "./seed-bundle.ts";
import { batchTimeoutMs } from "./sync.ts";
import { keepAttributes, tarCreate, tarList } from "./tar-pipe.ts";

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

export async function exportSeed(options: ExportOptions): Promise<SeedIndex> {
  const { workload, dir, signal } = options;
  await mkdir(dir, { recursive: true });
  const entries = await collectManifest(options.source, workload.paths, {
    mode: "tree",
    hash: workload.hash,
    signal,
    timeoutMs: options.timeoutMs,
  });
  const manifest: Manifest = { hash: workload.hash, roots: workload.paths, entries };
  await writeFile(join(dir, SEED_MANIFEST), toJsonl(manifest));
  const bundle = manifestDigest(manifest);
  const batches = planBatches(entries, { maxBytes: options.chunkBytes, maxFiles: 20_000 });
  // ACLs, xattrs and capabilities travel in the bundle as they travel in a transfer: refused
  // here, before any chunk is written, when entries carry them and the source's tar cannot.
  const attributes = await keepAttributes([options.source], entries, signal);
  const chunks: SeedChunk[] = [];
  for (const [index, batch] of batches.entries()) {
    signal.throwIfAborted();
    const file = chunkFile(index);
    const paths = batch.map((entry) => entry.path);
    const contentBytes = totalBytes(batch);
    const archived = await archiveTo(options, paths, join(dir, file), contentBytes, attributes);
    const chunk: SeedChunk = { file, bytes: archived.bytes, digest: archived.digest, paths, contentBytes };
    chunks.push(chunk);
    await options.onChunk?.(chunk, index, batches.length, bundle);
  }
  const index: SeedIndex = {
    v: 1,
    plan: options.plan,
    workload: workload.name,
    source: workload.source,
    hash: workload.hash,
    createdAt: new Date().toISOString(),
    manifestDigest: bundle,
    chunks,
  };
  await writeSeedIndex(dir, index);
  return index;
}
