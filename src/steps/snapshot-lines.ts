/**
 * The snapshot's entries kept as the final manifest needs them, so the final sync need not parse
 * the unchanged part of the tree under the freeze. While the snapshot's digest is checked — node
 * waits for both hosts to list then — each entry that can only be carried over as it is (not a
 * directory, not hard-linked, a file with its digest) is written as its size, canonical line and
 * JSON; the rest, marked, as JSON to be parsed. After both hosts have compared their trees
 * (manifest/host-diff.ts), the paths neither found changed go into the final manifest in rows,
 * from those lines, without parsing them (final-join.ts); every other path is parsed and
 * decided as before.
 */
import { rm } from "node:fs/promises";
import { comparePaths, type ManifestEntry } from "../manifest/model.ts";
import { LineWriter, readLines } from "../manifest/sorted-file.ts";
import { type EachEntry, linkCandidate } from "../manifest/store.ts";

/**
 * Snapshot entries in a row that both hosts hold unchanged, with no changed path between them:
 * ready for the final manifest as they are. Passed on as one, so the join's per-entry steps run
 * once per row and the final manifest takes the row's lines at once.
 */
export interface Kept {
  /** The row's first path. */
  path: string;
  /** The entries' JSON lines, joined by newlines. */
  json: string;
  /** Their canonical lines (no hard-link group: none is hard-linked), joined by newlines. */
  canonical: string;
  /** Their totals, as a manifest counts them. */
  entries: number;
  files: number;
  bytes: number;
  largest: number;
}

export const isKept = <T extends object>(item: T | Kept): item is Kept => "canonical" in item;

/** A row is passed on at this size, so memory holds no more of the snapshot than this. */
const ROW_CHARS = 64 * 1024;

/** The entry a kept line (after its path) holds. */
function entryOf(line: string): ManifestEntry {
  const canonicalEnd = line.indexOf("\t", line.indexOf("\t") + 1);
  return JSON.parse(line.slice(canonicalEnd + 1)) as ManifestEntry;
}

/** Starts a row with, or adds to it, the kept line `line` (after its path's tab at `tab`). */
function addToRow(row: Kept | undefined, path: string, line: string, tab: number): Kept {
  const sizeEnd = line.indexOf("\t", tab + 1);
  const canonicalEnd = line.indexOf("\t", sizeEnd + 1);
  const canonical = line.slice(sizeEnd + 1, canonicalEnd);
  const json = line.slice(canonicalEnd + 1);
  const next = row ?? { path, json: "", canonical: "", entries: 0, files: 0, bytes: 0, largest: 0 };
  next.json = next.entries === 0 ? json : `${next.json}\n${json}`;
  next.canonical = next.entries === 0 ? canonical : `${next.canonical}\n${canonical}`;
  next.entries++;
  if (sizeEnd > tab + 1) {
    const size = Number(line.slice(tab + 1, sizeEnd));
    next.files++;
    next.bytes += size;
    if (size > next.largest) next.largest = size;
  }
  return next;
}

/** A line that holds an entry to parse, not one ready to copy; a path's JSON starts with `"`. */
const PARSE = "-\t";

/** Writes the snapshot's lines (a scratch file of the work directory) as its digest is checked. */
export class SnapshotLines {
  private readonly writer: LineWriter;
  /** The snapshot's hard-linked files: the final manifest's link groups are known before it is written. */
  readonly linked: ManifestEntry[] = [];

  constructor(readonly file: string) {
    this.writer = new LineWriter(file, 0);
  }

  readonly add: EachEntry = (entry, canonical) => {
    const json = JSON.stringify(entry);
    if (linkCandidate(entry)) this.linked.push(entry);
    const asIs =
      entry.type !== "dir" && (entry.type !== "file" || (entry.nlink < 2 && entry.hash !== undefined));
    if (!asIs) return this.writer.write(`${PARSE}${json}`);
    const size = entry.type === "file" ? entry.size : "";
    return this.writer.write(`${JSON.stringify(entry.path)}\t${size}\t${canonical}\t${json}`);
  };

  close(): Promise<void> {
    return this.writer.close();
  }

  remove(): Promise<void> {
    return rm(this.file, { force: true });
  }
}

/**
 * The snapshot from its kept lines, in path order: a path in `parse` (what either host found
 * differing) or marked is parsed, every other path joins a row of kept lines. A row ends before
 * a path of `changes` (what either host lists now, path order), so it never spans one.
 */
export async function* snapshotItems(
  file: string,
  parse: (path: string) => boolean,
  changes: readonly string[],
): AsyncGenerator<ManifestEntry | Kept> {
  let row: Kept | undefined;
  let next = 0;
  for await (const text of readLines(file)) {
    const tab = text.indexOf("\t");
    const path = text.startsWith(PARSE) ? undefined : (JSON.parse(text.slice(0, tab)) as string);
    if (row !== undefined && (path === undefined || parse(path) || row.json.length >= ROW_CHARS)) {
      yield row;
      row = undefined;
    }
    if (path === undefined) yield JSON.parse(text.slice(PARSE.length)) as ManifestEntry;
    else if (parse(path)) yield entryOf(text.slice(tab + 1));
    else {
      while (next < changes.length && comparePaths(changes[next]!, path) < 0) {
        next++;
        if (row !== undefined) yield row;
        row = undefined;
      }
      row = addToRow(row, path, text, tab);
    }
  }
  if (row !== undefined) yield row;
}
