/**
 * Pure parser for the manifest script's output (script.ts). Fed chunk by chunk so a manifest of
 * many files never needs one big string; file names must be valid UTF-8 (checked, not guessed).
 */

import { isUtf8 } from "node:buffer";
import { comparePaths, type EntryType, type ManifestEntry } from "./model.ts";
import { HASHES_MARKER, NO_XATTRS_MARKER, SORTED_MARKER, WAIT_MARKER, XATTRS_MARKER } from "./script.ts";

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

/**
 * Splits a byte stream on NUL: each whole field of `chunk`, decoded, goes to `field`; the bytes
 * of a field the next chunk ends are kept in `pending`.
 */
export function pushFields(pending: Buffer[], chunk: Buffer, field: (text: string) => void): void {
  let start = 0;
  for (let index = chunk.indexOf(0, start); index !== -1; index = chunk.indexOf(0, start)) {
    if (pending.length === 0) field(decode(chunk, start, index));
    else {
      pending.push(chunk.subarray(start, index));
      field(decode(Buffer.concat(pending)));
      pending.length = 0;
    }
    start = index + 1;
  }
  if (start < chunk.length) pending.push(Buffer.from(chunk.subarray(start)));
}

export function parseMeta(meta: string, path: string, target: string): ManifestEntry | undefined {
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

/** getfattr's escapes (`\\ooo` for control characters and backslash) back to the name's bytes. */
function unescapeName(text: string): string {
  if (!text.includes("\\")) return text;
  const parts = text.split(/\\([0-7]{3})/);
  const bytes = parts.map((part, index) =>
    index % 2 === 1 ? Buffer.from([Number.parseInt(part, 8)]) : Buffer.from(part, "utf8"),
  );
  return Buffer.concat(bytes).toString("utf8");
}

/**
 * getfattr -d -e hex output: blocks of `# file: <name>` and `<attr>=0x<hex>` lines. Each path's
 * attributes become one canonical text, sorted by name, so both hosts' forms compare equal.
 */
export function parseXattrs(text: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const block of text.split(/\n\n+/)) {
    const lines = block.split("\n").filter((line) => line !== "");
    const head = lines[0];
    if (head === undefined) continue;
    if (!head.startsWith("# file: "))
      throw new ManifestParseError(`bad xattr record ${JSON.stringify(head.slice(0, 80))}`);
    const attrs = lines
      .slice(1)
      .map((line) => unescapeName(line))
      .sort();
    if (attrs.length > 0) result.set(unescapeName(head.slice("# file: ".length)), attrs.join("\n"));
  }
  return result;
}

/** Where a streaming parser hands entries and hashes as they arrive, in the script's order. */
export interface ManifestSink {
  entry(entry: ManifestEntry): void;
  hash(path: string, hex: string): void;
}

/**
 * Splits a byte stream on NUL and builds entries; `finish()` returns them. With a sink, entries
 * and hashes go to it instead and `finishStream()` ends the parse: nothing is held here.
 */
export class ManifestParser {
  private readonly pending: Buffer[] = [];
  private fields: string[] = [];
  private inHashes = false;
  /** After XATTRS_MARKER: the next field is getfattr's dump; then the output ends. */
  private xattrsNext = false;
  private xattrsDone = false;
  /** false when the host has no getfattr: entries then carry no xattr field at all. */
  xattrsKnown = false;
  private xattrs = new Map<string, string>();
  /** Regular files listed without a hash: vanished since listed, or they could not be hashed. */
  readonly unhashed: string[] = [];
  private readonly entries = new Map<string, ManifestEntry>();
  private readonly hashes = new Map<string, string>();

  /** `hashed: false` for metadata-only output (hash `none`): files keep no hash. */
  constructor(
    private readonly hashed = true,
    private readonly sink?: ManifestSink,
  ) {}

  push(chunk: Buffer): void {
    pushFields(this.pending, chunk, (text) => this.field(text));
  }

  /** Sorted output (script.ts): entries arrive in path order, attributes known before them. */
  sorted = false;
  private stage: "first" | "attrs" | "dump" | "records" | "end" = "first";
  private last: string | undefined;
  /** A hash record of sorted output: it comes right before its file's entry. */
  private keyed: { path: string; hex: string } | undefined;

  private sortedField(text: string): void {
    if (this.stage === "attrs" && (text === XATTRS_MARKER || text === NO_XATTRS_MARKER)) {
      this.xattrsKnown = text === XATTRS_MARKER;
      this.stage = this.xattrsKnown ? "dump" : "records";
    } else if (this.stage === "dump") {
      this.xattrs = parseXattrs(text);
      this.stage = "records";
    } else if (this.stage === "records" && text === HASHES_MARKER) {
      this.stage = "end";
      this.inHashes = true;
      this.xattrsDone = true;
    } else if (this.stage === "records") {
      const first = text.indexOf("\u0001");
      const path = text.slice(0, first);
      if (first !== -1 && text[first + 1] === "#") {
        const hex = text.slice(first + 2);
        if (!/^[0-9a-f]{64}$/.test(hex))
          throw new ManifestParseError(`bad hash record ${JSON.stringify(text.slice(0, 80))}`);
        this.ordered(path);
        this.keyed = { path, hex };
        return;
      }
      const second = text.indexOf("\u0001", first + 1);
      if (first === -1 || second === -1)
        throw new ManifestParseError(`bad sorted record ${JSON.stringify(text.slice(0, 80))}`);
      this.ordered(path);
      const entry = parseMeta(text.slice(first + 1, second), path, text.slice(second + 1));
      if (entry === undefined) return;
      if (entry.type === "file" && this.hashed) {
        if (this.keyed?.path !== path) {
          this.unhashed.push(path);
          return;
        }
        entry.hash = this.keyed.hex;
      }
      const xattrs = this.xattrs.get(path);
      if (xattrs !== undefined) entry.xattrs = xattrs;
      if (this.sink) this.sink.entry(entry);
      else this.entries.set(path, entry);
    } else
      throw new ManifestParseError(`unexpected field in sorted output ${JSON.stringify(text.slice(0, 80))}`);
  }

  private ordered(path: string): void {
    if (this.last !== undefined && comparePaths(this.last, path) > 0)
      throw new ManifestParseError(
        `the host's listing is not in byte order: ${JSON.stringify(path)} after ${JSON.stringify(this.last)}`,
      );
    this.last = path;
  }

  private field(text: string): void {
    if (this.sorted) {
      this.sortedField(text);
      return;
    }
    if (this.stage === "first" && text === WAIT_MARKER) return;
    if (this.stage === "first") {
      this.stage = "attrs";
      if (text === SORTED_MARKER) {
        this.sorted = true;
        return;
      }
    }
    if (this.xattrsDone) throw new ManifestParseError("manifest output goes on after its xattr section");
    if (this.xattrsNext) {
      this.xattrs = parseXattrs(text);
      this.xattrsNext = false;
      this.xattrsDone = true;
      return;
    }
    if (this.inHashes && (text === XATTRS_MARKER || text === NO_XATTRS_MARKER)) {
      this.xattrsKnown = text === XATTRS_MARKER;
      this.xattrsNext = this.xattrsKnown;
      this.xattrsDone = !this.xattrsKnown;
      return;
    }
    if (this.inHashes) {
      const match = /^([0-9a-f]{64}) [ *]/.exec(text);
      if (!match) throw new ManifestParseError(`bad hash record ${JSON.stringify(text.slice(0, 80))}`);
      if (this.sink) this.sink.hash(text.slice(66), match[1]!);
      else this.hashes.set(text.slice(66), match[1]!);
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
      if (entry && this.sink) this.sink.entry(entry);
      else if (entry) this.entries.set(path, entry);
    }
  }

  /** Checks the output ended whole; returns the extended attributes by path (the few that have any). */
  finishStream(): ReadonlyMap<string, string> {
    if (this.pending.length > 0 || this.fields.length > 0)
      throw new ManifestParseError("manifest output ends mid-record");
    if (!this.inHashes) throw new ManifestParseError("manifest output has no hash section");
    if (!this.xattrsDone) throw new ManifestParseError("manifest output has no xattr section");
    return this.xattrs;
  }

  /**
   * Entries in byte order of path. Regular files without a hash are left out and listed in
   * `unhashed`: the caller accepts them as vanished only once it has seen them gone.
   */
  finish(): ManifestEntry[] {
    this.finishStream();
    const result: ManifestEntry[] = [];
    for (const entry of this.entries.values()) {
      if (entry.type === "file" && this.hashed && entry.hash === undefined) {
        const hash = this.hashes.get(entry.path);
        if (hash === undefined) {
          this.unhashed.push(entry.path);
          continue;
        }
        entry.hash = hash;
      }
      const xattrs = this.xattrs.get(entry.path);
      if (xattrs !== undefined) entry.xattrs = xattrs;
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
