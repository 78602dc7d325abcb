/**
 * Database dumps in a seed bundle. Export: a dump taken on the source is cut into
 * content-defined chunks (cdc.ts) as it streams, each chunk written once into `dumps/` named by
 * its digest (the workload's algorithm), and the index lists, per database, the dump's size,
 * digest and chunk names in order. Import: the chunks are put into the target's chunk store
 * (dump-delta.ts) only after their digest, computed on the target, equals their name; a damaged
 * or missing chunk is named and left out. The later apply then sends each dump as a delta
 * against the store: the chunks of the carried dump that are still the database's are not sent
 * again, and a damaged chunk's bytes come over the link from the fresh dump.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { HashAlgorithm } from "../manifest/model.ts";
import { checkResult } from "../remote/check-result.ts";
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import { ChunkSplitter } from "./cdc.ts";
import type { DumpSource } from "./dump-delta.ts";
import type { SeedDump } from "./seed-bundle.ts";
import { ustarEnd, ustarMember } from "./ustar.ts";

/** The bundle's directory of dump chunks. */
export const SEED_DUMPS = "dumps";

export interface DumpToExport {
  database: string;
  engine: string;
  open: () => Promise<DumpSource>;
}

/** Write one dump's chunks into the bundle (each once, by name; a partly written one never under its name). */
async function exportDump(
  dir: string,
  hash: HashAlgorithm,
  dump: DumpToExport,
  signal: AbortSignal,
): Promise<SeedDump> {
  const splitter = new ChunkSplitter();
  const whole = createHash(hash);
  const chunks: string[] = [];
  let bytes = 0;
  const store = async (chunk: Buffer) => {
    const name = createHash(hash).update(chunk).digest("hex");
    chunks.push(name);
    const file = join(dir, SEED_DUMPS, name);
    if (existsSync(file)) return;
    await writeFile(`${file}.tmp`, chunk);
    await rename(`${file}.tmp`, file);
  };
  const sink = new Writable({
    async write(data: Buffer, _encoding, done) {
      try {
        whole.update(data);
        bytes += data.length;
        for (const chunk of splitter.push(data)) await store(chunk);
        done();
      } catch (error) {
        done(error as Error);
      }
    },
    async final(done) {
      try {
        for (const chunk of splitter.end()) await store(chunk);
        done();
      } catch (error) {
        done(error as Error);
      }
    },
  });
  const source = await dump.open();
  const [piped, dumped] = await Promise.allSettled([pipeline(source.stdout, sink, { signal }), source.done]);
  if (dumped.status === "rejected") throw dumped.reason;
  checkResult(dumped.value, { what: `dumping ${dump.database}`, retryable: true });
  if (piped.status === "rejected") throw piped.reason;
  return { database: dump.database, engine: dump.engine, bytes, digest: whole.digest("hex"), chunks };
}

export async function exportDumps(
  dir: string,
  hash: HashAlgorithm,
  dumps: readonly DumpToExport[],
  signal: AbortSignal,
): Promise<SeedDump[]> {
  if (dumps.length === 0) return [];
  await mkdir(join(dir, SEED_DUMPS), { recursive: true });
  const exported: SeedDump[] = [];
  for (const dump of dumps) exported.push(await exportDump(dir, hash, dump, signal));
  return exported;
}

/**
 * Chunks arrive as a tar in a private directory; each joins the store only when its digest,
 * computed here, is its name. Prints `damaged <name> <digest>` for each that is not.
 */
const PLACE = `
set -eu
store=$1 algo=$2
umask 077
mkdir -p "$store"
inc=$(mktemp -d "$store/.seed.XXXXXX")
trap 'rm -rf "$inc"' EXIT
tar -C "$inc" --no-same-owner -xf -
cd "$inc"
if command -v openssl >/dev/null 2>&1; then set -- openssl dgst -"$algo" -r; else set -- sha256sum; fi
find . -maxdepth 1 -type f -printf '%f\\0' | xargs -0 -r "$@" | while read -r got name; do
  name=\${name#\\*}
  if [ "$got" = "$name" ]; then mv -f -- "$name" "$store/"; else echo "damaged $name $got"; fi
done
`;

export interface DumpImport {
  database: string;
  /** Bytes of the dump's chunks verified on the target and put into its store. */
  carried: number;
  /** Chunks damaged on the way (name → digest computed on the target) or missing from the bundle. */
  damaged: { chunk: string; targetDigest: string }[];
}

/** Put a bundle's dump chunks into the target's chunk store, each verified there by its digest. */
export async function importDumps(options: {
  target: Remote;
  dir: string;
  dumps: readonly SeedDump[];
  store: string;
  hash: HashAlgorithm;
  signal: AbortSignal;
  timeoutMs: number;
}): Promise<DumpImport[]> {
  const { target, signal } = options;
  if (options.dumps.length === 0) return [];
  const names = [...new Set(options.dumps.flatMap((dump) => dump.chunks))];
  const present = names.filter((name) => existsSync(join(options.dir, SEED_DUMPS, name)));
  const sizes = new Map<string, number>();
  async function* archive() {
    for (const name of present) {
      const content = await readFile(join(options.dir, SEED_DUMPS, name));
      sizes.set(name, content.length);
      yield* ustarMember(name, content);
    }
    yield ustarEnd();
  }
  const upload = await target.stream(sh`sh -c ${PLACE} place ${options.store} ${options.hash}`, {
    signal,
    timeoutMs: options.timeoutMs,
  });
  const out: Buffer[] = [];
  upload.stdout.on("data", (data: Buffer) => out.push(data));
  const [sent, placed] = await Promise.allSettled([
    pipeline(Readable.from(archive()), upload.stdin, { signal }),
    upload.done,
  ]);
  if (placed.status === "rejected") throw placed.reason;
  checkResult(placed.value, { what: "placing the bundle's dump chunks", retryable: true });
  if (sent.status === "rejected") throw sent.reason;
  const bad = new Map<string, string>();
  for (const line of Buffer.concat(out).toString("utf8").split("\n")) {
    const [word, name, digest] = line.split(" ");
    if (word === "damaged" && name) bad.set(name, digest ?? "");
  }
  for (const name of names) if (!present.includes(name)) bad.set(name, "missing");
  return options.dumps.map((dump) => {
    const unique = [...new Set(dump.chunks)];
    return {
      database: dump.database,
      carried: unique.filter((name) => !bad.has(name)).reduce((sum, name) => sum + (sizes.get(name) ?? 0), 0),
      damaged: unique
        .filter((name) => bad.has(name))
        .map((chunk) => ({ chunk, targetDigest: bad.get(chunk)! })),
    };
  });
}
