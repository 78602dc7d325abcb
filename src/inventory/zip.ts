/**
 * The parts of a ZIP file (JAR, WAR, EAR) the portability scan reads: the end record (last 22
 * bytes), the central directory (entry names, methods, sizes, local header offsets) and the
 * first bytes of a member. Pure; the source sends only these byte ranges, never the archive.
 */
import { constants, inflateRawSync } from "node:zlib";

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const CENTRAL_SIGNATURE = 0x02014b50;
const CENTRAL_HEADER_BYTES = 46;

/**
 * Every entry of a central directory, in order. Stops quietly at the first record that is not a
 * central header or runs past the end (a directory cut at the scan's size limit).
 */
export function parseCentralDirectory(bytes: Uint8Array): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries: ZipEntry[] = [];
  const latin1 = new TextDecoder("latin1");
  const utf8 = new TextDecoder("utf-8");
  let at = 0;
  while (at + CENTRAL_HEADER_BYTES <= bytes.length && view.getUint32(at, true) === CENTRAL_SIGNATURE) {
    const flags = view.getUint16(at + 8, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const end = at + CENTRAL_HEADER_BYTES + nameLength;
    if (end > bytes.length) break;
    const raw = bytes.subarray(at + CENTRAL_HEADER_BYTES, end);
    // Bit 11: the name is UTF-8; otherwise CP437, of which the ASCII range is all a suffix needs.
    const name = (flags & 0x800 ? utf8 : latin1).decode(raw);
    entries.push({
      name,
      method: view.getUint16(at + 10, true),
      compressedSize: view.getUint32(at + 20, true),
      size: view.getUint32(at + 24, true),
      localHeaderOffset: view.getUint32(at + 42, true),
    });
    at = end + extraLength + commentLength;
  }
  return entries;
}

export interface EndRecord {
  entries: number;
  directorySize: number;
  directoryOffset: number;
}

/** The end-of-central-directory record at the start of `bytes` (an archive's last 22 bytes). */
export function parseEndRecord(bytes: Uint8Array): EndRecord | undefined {
  if (bytes.length < 22) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== 0x06054b50) return undefined;
  return {
    entries: view.getUint16(10, true),
    directorySize: view.getUint32(12, true),
    directoryOffset: view.getUint32(16, true),
  };
}

/** Bytes to read from a member's local header to see its first `want` bytes of content. */
export function memberReadLength(entry: ZipEntry, want: number): number {
  // The local extra field may differ from the central one; 1 KiB covers what JAR tools write.
  const compressed = entry.method === 0 ? want : Math.min(entry.compressedSize, 4096);
  return 30 + Buffer.byteLength(entry.name) + 1024 + compressed;
}

/**
 * The first `want` bytes of a member's content from bytes starting at its local header: stored
 * as is, deflated inflated as far as the bytes go. Undefined when they are not a local header.
 */
export function memberHead(bytes: Uint8Array, want: number): Uint8Array | undefined {
  if (bytes.length < 30) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== 0x04034b50) return undefined;
  const method = view.getUint16(8, true);
  const data = bytes.subarray(30 + view.getUint16(26, true) + view.getUint16(28, true));
  if (method === 0) return data.subarray(0, want);
  if (method !== 8) return undefined;
  try {
    // Only the start of the stream was read: flush what it holds instead of demanding its end.
    return inflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, want);
  } catch {
    return undefined;
  }
}
