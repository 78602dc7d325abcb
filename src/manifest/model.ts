/**
 * The file manifest: what a set of paths looks like on one host. Computed on the source at
 * snapshot and at cutover, and on the target to verify. Pure: parsing lives in parse.ts.
 */
import { createHash } from "node:crypto";

export const ENTRY_TYPES = ["file", "dir", "symlink", "fifo", "char", "block"] as const;
export type EntryType = (typeof ENTRY_TYPES)[number];

export interface ManifestEntry {
  path: string;
  type: EntryType;
  size: number;
  /** Permission bits including setuid/setgid/sticky, e.g. 0o4750. */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch as printed by find's %T@ (nanosecond digits, exact text). */
  mtime: string;
  /** Symlink target, byte for byte. */
  target?: string;
  /** Content hash (sha256 or sm3 hex) of regular files. */
  hash?: string;
  /**
   * Extended attributes — POSIX ACLs, file capabilities, SELinux labels, user xattrs — as
   * sorted `name=0xhex` lines; absent when the entry has none.
   */
  xattrs?: string;
  nlink: number;
  /** Identity and change time: hard-link groups and the quick "unchanged since" check. Not digested. */
  dev: string;
  ino: string;
  ctime: string;
}

export type HashAlgorithm = "sha256" | "sm3";

export interface Manifest {
  hash: HashAlgorithm;
  roots: string[];
  entries: ManifestEntry[];
}

/** UTF-16 code unit → a key in code point order: surrogates after the rest of the BMP. */
function codePointKey(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  return unit >= 0xd800 ? unit + 0x2000 : unit;
}

/**
 * UTF-8 byte order (= code point order), so the canonical form does not depend on the locale of
 * either host. Compared in place: encoding both paths per comparison made sorting a 10,000-file
 * manifest allocate ~280,000 buffers, the largest part of apply's heap.
 */
export function comparePaths(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const x = a.charCodeAt(index);
    const y = b.charCodeAt(index);
    if (x !== y) return codePointKey(x) - codePointKey(y);
  }
  return a.length - b.length;
}

export function sortEntries(entries: ManifestEntry[]): ManifestEntry[] {
  return [...entries].sort((a, b) => comparePaths(a.path, b.path));
}

/**
 * Hard-link structure in a host-independent form: every member of a group of entries sharing
 * one inode names the group's first path. Members outside the listed entries do not count, so
 * a link to a file outside the workload's paths does not make the trees differ.
 */
export function linkGroups(entries: readonly ManifestEntry[]): Map<string, string> {
  const byInode = new Map<string, string[]>();
  for (const entry of entries) {
    if (entry.type !== "file" || entry.nlink < 2) continue;
    const key = `${entry.dev}:${entry.ino}`;
    byInode.set(key, [...(byInode.get(key) ?? []), entry.path]);
  }
  const groups = new Map<string, string>();
  for (const members of byInode.values()) {
    if (members.length < 2) continue;
    const first = [...members].sort(comparePaths)[0]!;
    for (const member of members) groups.set(member, first);
  }
  return groups;
}

/**
 * The fields that must be equal on both hosts. Directory sizes and link counts depend on the
 * file system, and identity (dev, inode, ctime) differs by nature, so they are left out; hard
 * links enter as the group's first path.
 */
export function canonicalLine(entry: ManifestEntry, linkGroup = ""): string {
  return JSON.stringify(canonicalFields(entry, linkGroup));
}

function canonicalFields(entry: ManifestEntry, linkGroup = ""): (string | number)[] {
  const fields: (string | number)[] = [
    entry.path,
    entry.type,
    entry.type === "dir" ? 0 : entry.size,
    entry.mode,
    entry.uid,
    entry.gid,
    entry.mtime,
    entry.target ?? "",
    entry.hash ?? "",
    linkGroup,
  ];
  // Only entries that carry attributes gain the field, so digests of trees without any stay as
  // they were recorded.
  if (entry.xattrs !== undefined) fields.push(entry.xattrs);
  return fields;
}

/** Whether two entries have the same canonical line, without serializing either. */
function sameCanonical(
  a: ManifestEntry,
  groupA: string | undefined,
  b: ManifestEntry,
  groupB: string | undefined,
) {
  const left = canonicalFields(a, groupA);
  const right = canonicalFields(b, groupB);
  return left.length === right.length && left.every((field, index) => field === right[index]);
}

// Manifest entries are not changed once parsed, so the canonical lines of one entries array are
// computed once: loading, digesting, comparing and planning a delta all read the same 10,000
// lines, and computing them afresh each time made most of apply's heap churn in those steps.
const linesOf = new WeakMap<readonly ManifestEntry[], Map<string, string>>();

/** Canonical line of every entry by path, hard-link groups computed within these entries. */
export function canonicalLines(entries: readonly ManifestEntry[]): Map<string, string> {
  let lines = linesOf.get(entries);
  if (lines === undefined) {
    const groups = linkGroups(entries);
    lines = new Map(entries.map((entry) => [entry.path, canonicalLine(entry, groups.get(entry.path))]));
    linesOf.set(entries, lines);
  }
  return lines;
}

function isSorted(entries: readonly ManifestEntry[]): boolean {
  for (let index = 1; index < entries.length; index++)
    if (comparePaths(entries[index - 1]!.path, entries[index]!.path) > 0) return false;
  return true;
}

/** sha256 over the canonical sorted manifest: equal digests mean equal trees. */
export function manifestDigest(manifest: Manifest): string {
  const digest = createHash("sha256");
  digest.update(`${manifest.hash}\n`);
  const lines = canonicalLines(manifest.entries);
  const sorted = isSorted(manifest.entries) ? manifest.entries : sortEntries(manifest.entries);
  for (const entry of sorted) {
    digest.update(lines.get(entry.path)!);
    digest.update("\n");
  }
  return `sha256:${digest.digest("hex")}`;
}

/**
 * Paths whose canonical lines differ (or that are missing on the actual side). Compared field by
 * field, not as lines: every transferred batch is checked this way, and serializing both sides'
 * lines was a sixth of the orchestrator's CPU in a transfer of small files.
 */
export function mismatchedPaths(
  expected: readonly ManifestEntry[],
  actual: readonly ManifestEntry[],
): string[] {
  const have = new Map(actual.map((entry) => [entry.path, entry]));
  const wanted = new Map(expected.map((entry) => [entry.path, entry]));
  const [haveGroups, wantedGroups] = [linkGroups(actual), linkGroups(expected)];
  const differing: string[] = [];
  for (const [path, entry] of wanted) {
    const there = have.get(path);
    if (there === undefined || !sameCanonical(entry, wantedGroups.get(path), there, haveGroups.get(path)))
      differing.push(path);
  }
  return differing;
}

export function totalBytes(entries: readonly ManifestEntry[]): number {
  return entries.reduce((sum, entry) => sum + (entry.type === "file" ? entry.size : 0), 0);
}

/**
 * One manifest per line: a header line, then one entry per line (JSONL), in chunks of lines so
 * that writing a large manifest never builds it as one string.
 */
export function* toJsonl(manifest: Manifest, linesPerChunk = 1000): Generator<string> {
  yield `${JSON.stringify({ hash: manifest.hash, roots: manifest.roots })}\n`;
  const sorted = isSorted(manifest.entries) ? manifest.entries : sortEntries(manifest.entries);
  for (let start = 0; start < sorted.length; start += linesPerChunk) {
    let chunk = "";
    for (const entry of sorted.slice(start, start + linesPerChunk)) chunk += `${JSON.stringify(entry)}\n`;
    yield chunk;
  }
}

export function fromJsonl(text: string): Manifest {
  const lines = text.split("\n").filter((line) => line.length > 0);
  const header = JSON.parse(lines[0] ?? "{}") as { hash: HashAlgorithm; roots: string[] };
  return { hash: header.hash, roots: header.roots, entries: lines.slice(1).map((line) => JSON.parse(line)) };
}
