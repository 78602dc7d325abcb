/**
 * The snapshot's entries kept as the final manifest needs them, so the final sync need not parse
 * the unchanged part of the tree under the freeze. While the snapshot's digest is checked — node
 * waits for both hosts to list then — each entry that can only be carried over as it is (not a
 * directory, not hard-linked, a file with its digest) is written as the line the join writes for
 * it (its size, canonical line and JSON); the rest, marked, as JSON to be parsed. After both hosts
 * have compared their trees (manifest/host-diff.ts), a path neither found changed is copied
 * into the final manifest from that line, without parsing it (final-join.ts); every other path
 * is parsed and decided as before.
 */
import { rm } from "node:fs/promises";
import type { ManifestEntry } from "../manifest/model.ts";
import { LineWriter, readLines } from "../manifest/sorted-file.ts";
import type { EachEntry } from "../manifest/store.ts";

/** A snapshot entry both hosts hold unchanged: its line in the join's scratch file, ready. */
export interface Kept {
  path: string;
  /** `size\tcanonical line\tJSON` (size empty unless a regular file). */
  line: string;
}

export const isKept = <T extends object>(item: T | Kept): item is Kept => "line" in item;

/** The entry a kept line holds, parsed (a path a change lists after all). */
export function keptEntry(kept: Kept): ManifestEntry {
  const canonicalEnd = kept.line.indexOf("\t", kept.line.indexOf("\t") + 1);
  return JSON.parse(kept.line.slice(canonicalEnd + 1)) as ManifestEntry;
}

/** A line that holds an entry to parse, not one ready to copy; a path's JSON starts with `"`. */
const PARSE = "-\t";

/** Writes the snapshot's lines (a scratch file of the work directory) as its digest is checked. */
export class SnapshotLines {
  private readonly writer: LineWriter;

  constructor(readonly file: string) {
    this.writer = new LineWriter(file, 0);
  }

  readonly add: EachEntry = (entry, canonical) => {
    const json = JSON.stringify(entry);
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
 * differing) or marked is parsed, every other path stays a kept line.
 */
export async function* snapshotItems(
  file: string,
  parse: (path: string) => boolean,
): AsyncGenerator<ManifestEntry | Kept> {
  for await (const text of readLines(file)) {
    if (text.startsWith(PARSE)) {
      yield JSON.parse(text.slice(PARSE.length)) as ManifestEntry;
      continue;
    }
    const tab = text.indexOf("\t");
    const kept = { path: JSON.parse(text.slice(0, tab)) as string, line: text.slice(tab + 1) };
    yield parse(kept.path) ? keptEntry(kept) : kept;
  }
}
