/**
 * Pure parser for the manifest script's output (script.ts). Fed chunk by chunk so a manifest of
 * many files never needs one big string; file names must be valid UTF-8 (checked, not guessed).
 */

import { isUtf8 } from "node:buffer";
import { comparePaths, type EntryType, type ManifestEntry } from "./model.ts";
import { HASHES_MARKER } from "./script.ts";

const TYPES: Record<string, EntryType> = {
  f: "file",
  d: "dir",
  l: "symlink",
  p: "fifo",
  c: "char",
  b: "block",
};

export class ManifestParseError extends Error {}

/**
 * The UTF-8 text of bytes [start, end) of `chunk`. Decoded leniently and checked strictly only
 * when the result holds U+FFFD (which a valid name may hold too): a strict decoder needs a view
 * per field, and a manifest has three fields per file.
 */
function decode(chunk: Buffer, start = 0, end = chunk.length): string {
  const text = chunk.toString("utf8", start, end);
  if (!text.includes("\uFFFD") || isUtf8(chunk.subarray(start, end))) return text;
  const field = chunk.subarray(start, end);
  throw new ManifestParseError(
    `file name is not valid UTF-8: ${JSON.stringify(field.toString("latin1"))} (hex ${field.toString("hex")})`,
  );
}

function parseMeta(meta: string, path: string, target: string): ManifestEntry | undefined {
  const parts = meta.split(" ");
  if (parts.length !== 10)
    throw new ManifestParseError(`bad metadata record ${JSON.stringify(meta)} for ${path}`);
  const [y, size, mode, uid, gid, mtime, ctime, dev, ino, nlink] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const type = TYPES[y];
  if (type === undefined) return undefined;
  const entry: ManifestEntry = {
    path,
    type,
    size: Number(size),
    mode: Number.parseInt(mode, 8),
    uid: Number(uid),
    gid: Number(gid),
    mtime,
    nlink: Number(nlink),
    dev,
    ino,
    ctime,
  };
  if (type === "symlink") entry.target = target;
  return entry;
}

/** Splits a byte stream on NUL and builds entries; `finish()` returns them. */
export class ManifestParser {
  private pending: Buffer[] = [];
  private fields: string[] = [];
  private inHashes = false;
  private readonly entries = new Map<string, ManifestEntry>();
  private readonly hashes = new Map<string, string>();

  /** `hashed: false` for metadata-only output (hash `none`): files keep no hash. */
  constructor(private readonly hashed = true) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let index = chunk.indexOf(0, start); index !== -1; index = chunk.indexOf(0, start)) {
      if (this.pending.length === 0) this.field(decode(chunk, start, index));
      else {
        this.pending.push(chunk.subarray(start, index));
        this.field(decode(Buffer.concat(this.pending)));
        this.pending = [];
      }
      start = index + 1;
    }
    if (start < chunk.length) this.pending.push(Buffer.from(chunk.subarray(start)));
  }

  private field(text: string): void {
    if (this.inHashes) {
      const match = /^([0-9a-f]{64}) [ *]/.exec(text);
      if (!match) throw new ManifestParseError(`bad hash record ${JSON.stringify(text.slice(0, 80))}`);
      this.hashes.set(text.slice(66), match[1]!);
      return;
    }
    if (this.fields.length === 0 && text === HASHES_MARKER) {
      this.inHashes = true;
      return;
    }
    this.fields.push(text);
    if (this.fields.length === 3) {
      const [meta, path, target] = this.fields as [string, string, string];
      this.fields = [];
      const entry = parseMeta(meta, path, target);
      if (entry) this.entries.set(path, entry);
    }
  }

  /** Entries in byte order of path; regular files that vanished before hashing are left out. */
  finish(): ManifestEntry[] {
    if (this.pending.length > 0 || this.fields.length > 0)
      throw new ManifestParseError("manifest output ends mid-record");
    if (!this.inHashes) throw new ManifestParseError("manifest output has no hash section");
    const result: ManifestEntry[] = [];
    for (const entry of this.entries.values()) {
      if (entry.type === "file" && this.hashed) {
        const hash = this.hashes.get(entry.path);
        if (hash === undefined) continue;
        entry.hash = hash;
      }
      result.push(entry);
    }
    return result.sort((a, b) => comparePaths(a.path, b.path));
  }
}

/** Parse a whole output at once (tests, small lists). */
export function parseManifestOutput(output: Buffer, hashed = true): ManifestEntry[] {
  const parser = new ManifestParser(hashed);
  parser.push(output);
  return parser.finish();
}
