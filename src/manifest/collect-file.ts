/**
 * A manifest collected straight to disk. Most hosts sort it (script.ts: entries and hashes joined
 * in one `sort -z`), so its records are written as they arrive. Otherwise the script's entries
 * and hashes (in the order find and the parallel hashers print them) go to two external sorts,
 * are joined by path and written as a sorted manifest file. Memory holds one sort run at a time,
 * whatever the tree's size.
 */
import { type CollectOptions, refuseUnhashed, runManifestScript } from "./collect.ts";
import { comparePaths, type HashAlgorithm, type ManifestEntry } from "./model.ts";
import { ManifestParser } from "./parse.ts";
import { SortedWriter } from "./sorted-file.ts";
import {
  entrySorter,
  type ManifestHeader,
  type ManifestSummary,
  ManifestWriter,
  writeManifestFile,
} from "./store.ts";

/** Collect `paths` in `tree` mode into the manifest file `file`; returns its totals and digest. */
export async function collectToFile(
  remote: Parameters<typeof runManifestScript>[0],
  paths: readonly string[],
  options: Omit<CollectOptions, "mode" | "roots"> & {
    hash: HashAlgorithm | "none";
    workDir: string;
    /** false for a listing only compared (see writeManifestFile). */
    digest?: boolean;
  },
  file: string,
  roots: readonly string[],
): Promise<ManifestSummary> {
  const entries = entrySorter(options.workDir);
  const hashes = new SortedWriter<[string, string]>({
    key: (record) => record[0],
    compare: comparePaths,
    workDir: options.workDir,
  });
  const hash = options.hash === "none" ? "sha256" : options.hash;
  const header: ManifestHeader = { hash, roots: [...roots] };
  // Sorted on the host: entries (with their hashes) go straight to the file, in order.
  const inOrder = new InOrder(() => new ManifestWriter(file, header, options.digest ?? true));
  const parser = new ManifestParser(options.hash !== "none", {
    entry: (entry) => (parser.sorted ? inOrder.add(entry) : entries.add(entry)),
    hash: (path, hex) => hashes.add([path, hex]),
  });
  const drain = async () => {
    await inOrder.settle();
    await entries.settle();
    await hashes.settle();
  };
  const collect = { ...options, mode: "tree", sorted: true } as const;
  const stderr = await runManifestScript(remote, paths, "tree", collect, parser, drain);
  const xattrs = parser.finishStream();
  if (parser.sorted) {
    const summary = await inOrder.close();
    if (parser.unhashed.length > 0)
      await refuseUnhashed(remote, parser.unhashed, { ...options, mode: "tree" }, stderr);
    return summary;
  }
  const unhashed: string[] = [];
  const hashed = options.hash !== "none";
  const joined = joinHashes(entries.sorted(), hashes.sorted(), xattrs, hashed, unhashed);
  const summary = await writeManifestFile(file, header, joined, options.digest ?? true);
  if (unhashed.length > 0) await refuseUnhashed(remote, unhashed, { ...options, mode: "tree" }, stderr);
  return summary;
}

/**
 * Entries with their hashes and attributes. A regular file without a hash is left out and
 * noted in `unhashed` (vanished on a live host, or it could not be hashed: the caller asks).
 */
async function* joinHashes(
  entries: AsyncIterable<ManifestEntry>,
  hashes: AsyncIterable<[string, string]>,
  xattrs: ReadonlyMap<string, string>,
  hashed: boolean,
  unhashed: string[],
): AsyncGenerator<ManifestEntry> {
  const pending = hashes[Symbol.asyncIterator]();
  let next = await pending.next();
  for await (const entry of entries) {
    while (!next.done && comparePaths(next.value[0], entry.path) < 0) next = await pending.next();
    if (entry.type === "file" && hashed) {
      if (next.done || next.value[0] !== entry.path) {
        unhashed.push(entry.path);
        continue;
      }
      entry.hash = next.value[1];
    }
    const attributes = xattrs.get(entry.path);
    if (attributes !== undefined) entry.xattrs = attributes;
    yield entry;
  }
}

/**
 * Entries that arrive in path order, written as they come. A path listed twice (roots that
 * overlap) keeps its later entry, as the sorter would.
 */
class InOrder {
  private writer: ManifestWriter | undefined;
  private held: ManifestEntry | undefined;
  private ready: ManifestEntry[] = [];

  constructor(private readonly open: () => ManifestWriter) {}

  add(entry: ManifestEntry): void {
    if (this.held !== undefined && this.held.path !== entry.path) this.ready.push(this.held);
    this.held = entry;
  }

  async settle(): Promise<void> {
    const ready = this.ready;
    if (ready.length === 0) return;
    this.ready = [];
    this.writer ??= this.open();
    for (const entry of ready) await this.writer.add(entry);
  }

  async close(): Promise<ManifestSummary> {
    if (this.held !== undefined) this.ready.push(this.held);
    this.held = undefined;
    await this.settle();
    this.writer ??= this.open();
    return this.writer.close();
  }
}
