/**
 * An interrupted `seed export` continues where it stopped. The export writes seed.partial.json
 * after every chunk (the manifest's digest, the chunk size, and each finished chunk with its
 * digest); run again into the same directory, it takes the manifest from the bundle (the source
 * is not listed and hashed again), checks every finished chunk on this disk by its size and
 * digest, and writes the chunks from the first one that is missing or does not match.
 */
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { UserError } from "../errors.ts";
import { fromJsonl, type HashAlgorithm, type ManifestEntry, manifestDigest } from "../manifest/model.ts";
import { newDigest, SEED_MANIFEST, SEED_PARTIAL, type SeedChunk, SeedPartial } from "./seed-bundle.ts";

export interface ResumePoint {
  entries: ManifestEntry[];
  manifestDigest: string;
  chunkBytes: number;
  /** The leading chunks found complete on the disk, in order. */
  chunks: SeedChunk[];
}

export interface ExportIdentity {
  plan: string;
  workload: { name: string; source: string; hash: HashAlgorithm };
}

async function fileDigest(file: string, hash: HashAlgorithm): Promise<string> {
  const digest = newDigest(hash);
  await pipeline(createReadStream(file), digest);
  return digest.digest("hex");
}

/** Whether a chunk file on the disk is the one the partial index recorded. */
async function complete(dir: string, chunk: SeedChunk, hash: HashAlgorithm): Promise<boolean> {
  const file = join(dir, chunk.file);
  const size = await stat(file).then(
    (found) => found.size,
    () => -1,
  );
  return size === chunk.bytes && (await fileDigest(file, hash)) === chunk.digest;
}

/** The unfinished export in `dir`, or undefined when there is none. */
export async function readResumePoint(
  dir: string,
  expected: ExportIdentity,
): Promise<ResumePoint | undefined> {
  const where = join(dir, SEED_PARTIAL);
  let text: string;
  try {
    text = await readFile(where, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const refuse = (message: string) =>
    new UserError("usage", `${where}: ${message}`, {
      hint: "export into a new or empty directory (or remove this unfinished export first)",
    });
  let parsed: SeedPartial;
  try {
    parsed = SeedPartial.parse(JSON.parse(text));
  } catch {
    throw refuse("not an unfinished export this migrate can read");
  }
  const { workload } = expected;
  if (parsed.plan !== expected.plan || parsed.workload !== workload.name || parsed.source !== workload.source)
    throw refuse(`an unfinished export of workload ${parsed.workload} of plan ${parsed.plan}, not this one`);
  if (parsed.hash !== workload.hash)
    throw refuse(`an unfinished export with ${parsed.hash} digests; the workload says ${workload.hash}`);
  const manifest = await readFile(join(dir, SEED_MANIFEST), "utf8")
    .then(fromJsonl)
    .catch(() => undefined);
  if (manifest === undefined || manifestDigest(manifest) !== parsed.manifestDigest)
    throw refuse(`${SEED_MANIFEST} is missing or does not match the unfinished export's digest`);
  const chunks: SeedChunk[] = [];
  for (const chunk of parsed.chunks) {
    if (!(await complete(dir, chunk, workload.hash))) break;
    chunks.push(chunk);
  }
  return {
    entries: manifest.entries,
    manifestDigest: parsed.manifestDigest,
    chunkBytes: parsed.chunkBytes,
    chunks,
  };
}
