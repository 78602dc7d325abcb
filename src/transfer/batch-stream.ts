/**
 * Batches cut from a sorted stream of entries, so a transfer of a million files never holds its
 * manifest: the same batches `planBatches` (batches.ts) cuts from an array, in the same order,
 * with the same numbers, so a checkpoint's verified batch numbers mean the same either way.
 *
 * One survey pass reads what must be known before the first batch: the hard-link groups (a
 * group travels whole, at its first member's place), the directories (sent last) and the large
 * files (sent by ranges). Memory holds only those: files with more than one link, every
 * directory and every file of 128 MiB or more — never one entry per ordinary file.
 */
import type { ManifestEntry } from "../manifest/model.ts";
import type { Sorted } from "../manifest/sorted-file.ts";
import { type BatchLimits, DEFAULT_BATCH_LIMITS } from "./batches.ts";
import { byRanges } from "./ranges.ts";

/** Sorted entries that can be read more than once: an array, or a manifest file read afresh each call. */
export type EntrySource = readonly ManifestEntry[] | (() => Sorted<ManifestEntry>);

export function readSource(source: EntrySource): Sorted<ManifestEntry> {
  return typeof source === "function" ? source() : source;
}

export interface Survey {
  /** Files sent by ranges, in stream order (only when ranges are on). */
  large: ManifestEntry[];
  /** Hard-linked files (more than one link) by inode, members in stream order. */
  links: Map<string, ManifestEntry[]>;
  dirs: ManifestEntry[];
  /** Entries carrying xattrs, ACLs or capabilities (tar must be able to keep them). */
  withAttributes: ManifestEntry[];
  entries: number;
}

const inode = (entry: ManifestEntry) => `${entry.dev}:${entry.ino}`;
const linked = (entry: ManifestEntry) => entry.type === "file" && entry.nlink > 1;

export async function survey(source: EntrySource, ranges: boolean): Promise<Survey> {
  const result: Survey = { large: [], links: new Map(), dirs: [], withAttributes: [], entries: 0 };
  for await (const entry of readSource(source)) {
    result.entries++;
    if (entry.xattrs !== undefined) result.withAttributes.push(entry);
    if (ranges && byRanges(entry)) result.large.push(entry);
    else if (entry.type === "dir") result.dirs.push(entry);
    else if (linked(entry)) {
      const members = result.links.get(inode(entry));
      if (members) members.push(entry);
      else result.links.set(inode(entry), [entry]);
    }
  }
  return result;
}

/**
 * The batches of `source` (every entry but the survey's large files): units in stream order — a
 * hard-link group whole at its first member — cut by bytes and count, then the directories.
 */
export async function* streamBatches(
  source: EntrySource,
  surveyed: Survey,
  limits: BatchLimits = DEFAULT_BATCH_LIMITS,
): AsyncGenerator<ManifestEntry[]> {
  const large = new Set(surveyed.large.map((entry) => entry.path));
  let current: ManifestEntry[] = [];
  let bytes = 0;
  for await (const entry of readSource(source)) {
    if (entry.type === "dir" || large.has(entry.path)) continue;
    let unit = [entry];
    if (linked(entry)) {
      const members = surveyed.links.get(inode(entry))!;
      // Later members travelled with the first.
      if (members[0]!.path !== entry.path) continue;
      unit = members;
    }
    // A hard-link group's data travels once, with its first name.
    const unitBytes = entry.type === "file" ? entry.size : 0;
    if (
      current.length > 0 &&
      (bytes + unitBytes > limits.maxBytes || current.length + unit.length > limits.maxFiles)
    ) {
      yield current;
      current = [];
      bytes = 0;
    }
    current.push(...unit);
    bytes += unitBytes;
  }
  if (current.length > 0) yield current;
  if (surveyed.dirs.length > 0) yield surveyed.dirs;
}
