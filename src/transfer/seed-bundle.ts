/**
 * A seed bundle: a workload's files written as chunked tar archives onto a local disk, to be
 * carried to the target side (the approved ferry process) instead of crossing a thin link.
 * Layout of the bundle directory:
 *   seed.json        this index: workload, hash algorithm, manifest digest, one record per chunk
 *   manifest.jsonl   the manifest the chunks were cut from (the snapshot manifest's format)
 *   chunk-NNNNN.tar  POSIX tar archives, members relative to /, one per transfer batch
 *   dumps/<digest>   the database dumps' content-defined chunks (seed-dumps.ts)
 *   seed.partial.json  only while an export runs: the index so far, what an interrupted export
 *                      continues from; replaced by seed.json when the last chunk is written
 * Each chunk carries its digest (the workload's algorithm: sha256 or sm3), checked on the
 * target after upload; a chunk that does not match is named and sent again over the link.
 */
import { createHash } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { UserError } from "../errors.ts";
import type { HashAlgorithm } from "../manifest/model.ts";

export const SEED_INDEX = "seed.json";
export const SEED_MANIFEST = "manifest.jsonl";
export const SEED_PARTIAL = "seed.partial.json";

export const SeedChunk = z.object({
  /** File name inside the bundle directory. */
  file: z.string().regex(/^chunk-\d{5}\.tar$/),
  bytes: z.number().int().nonnegative(),
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  /** Manifest paths archived in this chunk, in archive order. */
  paths: z.array(z.string().startsWith("/")),
  /** Bytes of file content in the chunk (the manifest sizes; the archive adds headers). */
  contentBytes: z.number().int().nonnegative(),
});
export type SeedChunk = z.infer<typeof SeedChunk>;

/** A database dump the bundle carries: content-defined chunks under dumps/, named by their digests, in order. */
export const SeedDump = z.object({
  database: z.string(),
  engine: z.string(),
  bytes: z.number().int().nonnegative(),
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  chunks: z.array(z.string().regex(/^[0-9a-f]{64}$/)),
});
export type SeedDump = z.infer<typeof SeedDump>;

export const SeedIndex = z.object({
  v: z.literal(1),
  plan: z.string(),
  workload: z.string(),
  source: z.string(),
  hash: z.enum(["sha256", "sm3"]),
  createdAt: z.string(),
  /** Digest of manifest.jsonl's manifest (manifestDigest), naming this bundle in the journal. */
  manifestDigest: z.string(),
  chunks: z.array(SeedChunk),
  /** The workload's database dumps (bundles written before dumps were carried have none). */
  dumps: z.array(SeedDump).optional(),
});
export type SeedIndex = z.infer<typeof SeedIndex>;

/** An unfinished export: the chunks written so far (each complete, with its digest) and the chunk size they were cut with. */
export const SeedPartial = SeedIndex.omit({ createdAt: true, dumps: true }).extend({
  chunkBytes: z.number().int().positive(),
});
export type SeedPartial = z.infer<typeof SeedPartial>;

export function chunkFile(index: number): string {
  return `chunk-${String(index + 1).padStart(5, "0")}.tar`;
}

/** A digest as the workload's algorithm computes it; Node's OpenSSL has SM3 as it has SHA-256. */
export function newDigest(hash: HashAlgorithm) {
  return createHash(hash);
}

async function writeJson(file: string, data: unknown): Promise<void> {
  await writeFile(`${file}.tmp`, `${JSON.stringify(data, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}

export async function writeSeedIndex(dir: string, index: SeedIndex): Promise<void> {
  await writeJson(join(dir, SEED_INDEX), index);
}

/** After every chunk: what a resumed export continues from (the chunk files it lists are complete). */
export async function writeSeedPartial(dir: string, partial: SeedPartial): Promise<void> {
  await writeJson(join(dir, SEED_PARTIAL), partial);
}

/** Read and check a bundle's index; every problem is the operator's to fix, so a UserError. */
export async function readSeedIndex(dir: string): Promise<SeedIndex> {
  const file = join(dir, SEED_INDEX);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new UserError("usage", `${file}: no seed bundle here (${(error as NodeJS.ErrnoException).code})`, {
      hint: "pass the directory `migrate seed export --to DIR` wrote (the one holding seed.json)",
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UserError("usage", `${file}: not a seed index (not JSON)`, {
      hint: "the bundle's seed.json was damaged; export the bundle again",
    });
  }
  const result = SeedIndex.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new UserError(
      "usage",
      `${file}: not a seed index this migrate can read (${issue?.path.join(".") || "top level"}: ${issue?.message})`,
      { hint: "export the bundle again with this version of migrate" },
    );
  }
  return result.data;
}
