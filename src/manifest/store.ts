/**
 * Manifests on disk: a header line, then one entry per line in path order, gzip-compressed.
 * Written from a sorted stream, read back as one; the digest is computed by reading the file,
 * so neither saving nor loading holds the entries. Hard-link groups are the one thing kept in
 * memory, and only for files with more than one link.
 */
import { createHash } from "node:crypto";
import { rename, rm } from "node:fs/promises";
import { canonicalLine, comparePaths, type HashAlgorithm, type ManifestEntry } from "./model.ts";
import { LineWriter, readLines, type Sorted, SortedWriter } from "./sorted-file.ts";

export interface ManifestHeader {
  hash: HashAlgorithm;
  roots: string[];
}

/** What a saved manifest holds, in totals: enough for deadlines and step outputs. */
export interface ManifestSummary {
  digest: string;
  entries: number;
  files: number;
  bytes: number;
  largest: number;
}

/** A sorter for manifest entries, spilling to `workDir`. */
export function entrySorter(workDir: string, runRecords?: number): SortedWriter<ManifestEntry> {
  return new SortedWriter<ManifestEntry>({
    key: (entry) => entry.path,
    compare: comparePaths,
    workDir,
    ...(runRecords === undefined ? {} : { runRecords }),
  });
}

/** The entries of a saved manifest, in path order. */
export async function* readEntries(file: string): AsyncGenerator<ManifestEntry> {
  let header = true;
  for await (const line of readLines(file)) {
    if (header) header = false;
    else yield JSON.parse(line) as ManifestEntry;
  }
}

export async function readHeader(file: string): Promise<ManifestHeader> {
  for await (const line of readLines(file)) return JSON.parse(line) as ManifestHeader;
  throw new Error(`manifest ${file} is empty`);
}

interface Group {
  first: string;
  members: number;
}

const inodeKey = (entry: ManifestEntry) => `${entry.dev}:${entry.ino}`;

/** A regular file with more than one name: a member of a hard-link group, if another is listed. */
export function linkCandidate(entry: ManifestEntry): boolean {
  return entry.type === "file" && entry.nlink >= 2;
}

/** A hard-linked file's group (its first path) or undefined; see model.ts `linkGroups`. */
export type GroupOf = (entry: ManifestEntry) => string | undefined;

/**
 * Hard-link groups of a sorted stream, read once: the first path seen of an inode is the
 * group's first. Holds only files with more than one link.
 */
export async function linkGroupsOf(entries: Sorted<ManifestEntry>): Promise<GroupOf> {
  const groups = new Map<string, Group>();
  for await (const entry of entries) {
    if (!linkCandidate(entry)) continue;
    const group = groups.get(inodeKey(entry));
    if (group) group.members++;
    else groups.set(inodeKey(entry), { first: entry.path, members: 1 });
  }
  return (entry) => {
    if (!linkCandidate(entry)) return undefined;
    const group = groups.get(inodeKey(entry));
    return group && group.members >= 2 ? group.first : undefined;
  };
}

/**
 * Lines that cannot be a hard-linked file, told from the text: every entry is written by
 * JSON.stringify, and a quote inside a path is escaped, so these fields match only themselves.
 * Parsing a line costs ~4 µs, most of a pass; a tree's hard-linked files are few.
 */
function notLinked(line: string): boolean {
  return !line.includes('"type":"file"') || /"nlink":[01][,}]/.test(line);
}

/** Hard-link groups of a saved manifest, parsing only the lines of hard-linked files. */
export async function linkGroupsOfFile(file: string): Promise<GroupOf> {
  const linked = async function* () {
    let header = true;
    for await (const line of readLines(file)) {
      if (header) header = false;
      else if (!notLinked(line)) yield JSON.parse(line) as ManifestEntry;
    }
  };
  return linkGroupsOf(linked());
}

/** sha256 over canonical lines fed in path order; equal to `manifestDigest` of the same entries. */
export class StreamDigest {
  private readonly digest = createHash("sha256");

  constructor(
    hash: HashAlgorithm,
    private readonly groupOf: GroupOf,
  ) {
    this.digest.update(`${hash}\n`);
  }

  /** Adds the entry's canonical line, and returns it (comparing two trees compares these). */
  add(entry: ManifestEntry): string {
    const line = canonicalLine(entry, this.groupOf(entry));
    this.digest.update(line);
    this.digest.update("\n");
    return line;
  }

  /** Adds a canonical line computed before (see `ManifestWriter.addLine`). */
  addLine(line: string): void {
    this.digest.update(line);
    this.digest.update("\n");
  }

  value(): string {
    return `sha256:${this.digest.digest("hex")}`;
  }
}

/** The digest of sorted entries; `entries` is called twice (hard-link groups, then lines). */
export async function digestSorted(
  hash: HashAlgorithm,
  entries: () => AsyncIterable<ManifestEntry>,
): Promise<string> {
  const digest = new StreamDigest(hash, await linkGroupsOf(entries()));
  for await (const entry of entries()) digest.add(entry);
  return digest.value();
}

/**
 * Writes sorted entries to `file` (through a temp name, fsynced, renamed at `close`) and digests
 * them: as they are written when their hard-link groups are known already, else by reading the
 * file. Entries must come in path order, each path once.
 */
export class ManifestWriter {
  private readonly writer: LineWriter;
  private readonly inline: StreamDigest | undefined;
  private readonly summary = { entries: 0, files: 0, bytes: 0, largest: 0 };
  private last: string | undefined;
  private readonly started: Promise<void>;

  constructor(
    private readonly file: string,
    header: ManifestHeader,
    /**
     * false for a temporary listing, only compared and never journaled: no digest, and not
     * compressed. The entries' hard-link groups: the digest is computed as they pass.
     */
    private readonly digest: boolean | GroupOf = true,
  ) {
    // gzip level 1: a manifest's JSON lines compress to ~23 % instead of ~21 % at level 6, in
    // half the CPU, and the cutover writes its final manifest inside the downtime.
    this.writer = new LineWriter(`${file}.tmp`, digest === false ? 0 : 1);
    this.inline = typeof digest === "function" ? new StreamDigest(header.hash, digest) : undefined;
    this.started = this.writer.write(JSON.stringify({ hash: header.hash, roots: header.roots }));
  }

  async add(entry: ManifestEntry): Promise<void> {
    if (this.last !== undefined && comparePaths(this.last, entry.path) >= 0)
      throw new Error(
        `manifest entries out of order: ${JSON.stringify(entry.path)} after ${JSON.stringify(this.last)}`,
      );
    this.last = entry.path;
    this.count(entry.type === "file" ? entry.size : undefined);
    this.inline?.add(entry);
    await this.started;
    await this.writer.write(JSON.stringify(entry));
  }

  /**
   * Adds an entry already serialized: `json` is its JSON.stringify, `canonical` its canonical
   * line with its hard-link group, `size` its size when it is a regular file. The caller keeps
   * path order (it compared the paths when it serialized them): a line need not be parsed again.
   */
  async addLine(json: string, canonical: string, size?: number): Promise<void> {
    if (this.inline === undefined) throw new Error("addLine needs the hard-link groups up front");
    this.count(size);
    this.inline.addLine(canonical);
    await this.started;
    await this.writer.write(json);
  }

  /**
   * Adds a row of entries serialized before, none hard-linked: their JSON lines and canonical
   * lines, each joined by newlines, and their totals. Path order is the caller's, as for addLine.
   */
  async addRow(row: { json: string; canonical: string } & Omit<ManifestSummary, "digest">): Promise<void> {
    if (this.inline === undefined) throw new Error("addRow needs the hard-link groups up front");
    const summary = this.summary;
    summary.entries += row.entries;
    summary.files += row.files;
    summary.bytes += row.bytes;
    summary.largest = Math.max(summary.largest, row.largest);
    this.inline.addLine(row.canonical);
    await this.started;
    await this.writer.write(row.json);
  }

  /** One entry more in the summary; `size` only for a regular file. */
  private count(size: number | undefined): void {
    const summary = this.summary;
    summary.entries++;
    if (size === undefined) return;
    summary.files++;
    summary.bytes += size;
    summary.largest = Math.max(summary.largest, size);
  }

  /** Leaves no file behind: for a manifest whose writing failed half-way. */
  async discard(): Promise<void> {
    await this.started.catch(() => {});
    await this.writer.close().catch(() => {});
    await rm(`${this.file}.tmp`, { force: true });
  }

  async close(): Promise<ManifestSummary> {
    await this.started;
    await this.writer.close();
    await rename(`${this.file}.tmp`, this.file);
    const digest = this.inline
      ? this.inline.value()
      : this.digest === false
        ? ""
        : await digestFile(this.file);
    return { ...this.summary, digest };
  }
}

/** Write sorted entries to `file` and digest them (see ManifestWriter). */
export async function writeManifestFile(
  file: string,
  header: ManifestHeader,
  entries: AsyncIterable<ManifestEntry> | Iterable<ManifestEntry>,
  digest: boolean | GroupOf = true,
): Promise<ManifestSummary> {
  const writer = new ManifestWriter(file, header, digest);
  for await (const entry of entries) await writer.add(entry);
  return writer.close();
}

/** Told each entry of a manifest as it is digested, with its canonical line (hard-link group included). */
export type EachEntry = (entry: ManifestEntry, canonical: string) => Promise<void>;

/** The digest of a saved manifest, read from the file. */
export async function digestFile(file: string, each?: EachEntry): Promise<string> {
  const header = await readHeader(file);
  const digest = new StreamDigest(header.hash, await linkGroupsOfFile(file));
  for await (const entry of readEntries(file)) {
    const canonical = digest.add(entry);
    if (each) await each(entry, canonical);
  }
  return digest.value();
}

/** Totals of a saved manifest, read from the file. */
export async function summarize(file: string): Promise<Omit<ManifestSummary, "digest">> {
  const summary = { entries: 0, files: 0, bytes: 0, largest: 0 };
  for await (const entry of readEntries(file)) {
    summary.entries++;
    if (entry.type !== "file") continue;
    summary.files++;
    summary.bytes += entry.size;
    summary.largest = Math.max(summary.largest, entry.size);
  }
  return summary;
}
