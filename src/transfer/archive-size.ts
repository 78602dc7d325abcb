/**
 * The bytes a batch occupies on the wire, computed from its manifest entries (pure), so a
 * transfer's progress total is counted in the unit its progress is: archive bytes. GNU tar's
 * POSIX format spends 1,536 bytes of headers on every member (an extended header block, its
 * records — mtime, atime and ctime — and the ustar header) and pads content to 512 bytes; on a
 * tree of 200-byte files that is ten times the content, which a total of content bytes ignored
 * ("100 % ETA 0:00" from 40 % of the files on).
 */
import type { ManifestEntry } from "../manifest/model.ts";

const BLOCK = 512;
/** tar's default blocking factor (20 × 512): an archive is padded to a whole record. */
const RECORD = 10_240;
/** Three time records ("30 mtime=1700000000.123456789\n" and atime, ctime). */
const TIME_RECORDS = 90;

function blocks(bytes: number): number {
  return Math.ceil(bytes / BLOCK) * BLOCK;
}

/** One pax record `"<len> <key>=<value>\n"`, whose length counts its own digits. */
export function paxRecordBytes(key: string, valueBytes: number): number {
  const body = key.length + valueBytes + 3;
  let length = body + String(body).length;
  if (String(length).length !== String(body).length) length = body + String(length).length;
  return length;
}

/**
 * A name fits the ustar header when it is ≤ 100 bytes, or splits at a slash into a prefix of
 * ≤ 155 and a name of ≤ 100 bytes; otherwise it travels as a pax `path` record.
 */
function fitsUstar(name: string): boolean {
  const bytes = Buffer.byteLength(name);
  if (bytes <= 100) return true;
  if (bytes > 256) return false;
  for (let cut = name.lastIndexOf("/"); cut > 0; cut = name.lastIndexOf("/", cut - 1)) {
    if (Buffer.byteLength(name.slice(cut + 1)) > 100) return false;
    if (Buffer.byteLength(name.slice(0, cut)) <= 155) return true;
  }
  return false;
}

/** `name=0xhex` lines of the manifest's xattrs, as pax `SCHILY.xattr.<name>` records. */
function xattrRecords(xattrs: string | undefined): number {
  if (!xattrs) return 0;
  let bytes = 0;
  for (const line of xattrs.split("\n")) {
    const at = line.indexOf("=");
    if (at <= 0) continue;
    const value = line.slice(at + 1);
    const valueBytes = value.startsWith("0x") ? (value.length - 2) / 2 : Buffer.byteLength(value);
    bytes += paxRecordBytes(`SCHILY.xattr.${line.slice(0, at)}`, valueBytes);
  }
  return bytes;
}

/** Archive bytes of one member; `data` says whether its content travels (not a hard link's second name). */
export function memberBytes(entry: ManifestEntry, data: boolean): number {
  // Member names are relative to / (tar-pipe.ts), directories with a trailing slash.
  const name = entry.path.replace(/^\/+/, "") + (entry.type === "dir" ? "/" : "");
  let records = TIME_RECORDS + xattrRecords(entry.xattrs);
  if (!fitsUstar(name)) records += paxRecordBytes("path", Buffer.byteLength(name));
  if (entry.type === "symlink" && Buffer.byteLength(entry.target ?? "") > 100)
    records += paxRecordBytes("linkpath", Buffer.byteLength(entry.target ?? ""));
  const content = entry.type === "file" && data ? blocks(entry.size) : 0;
  return BLOCK + blocks(records) + BLOCK + content;
}

/** Archive bytes of a batch as tar-pipe.ts sends it: members, two end blocks, padded to a record. */
export function archiveBytes(batch: readonly ManifestEntry[]): number {
  const seen = new Set<string>();
  let bytes = 0;
  for (const entry of batch) {
    const key = entry.type === "file" && entry.nlink > 1 ? `${entry.dev}:${entry.ino}` : undefined;
    const first = key === undefined || !seen.has(key);
    if (key !== undefined) seen.add(key);
    bytes += memberBytes(entry, first);
  }
  return Math.ceil((bytes + 2 * BLOCK) / RECORD) * RECORD;
}
