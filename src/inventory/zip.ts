/**
 * The central directory of a ZIP file (JAR, WAR, EAR): entry names, compression method, sizes
 * and where each entry's local header starts. Pure; the source sends only the directory bytes
 * (found from the end-of-central-directory record), never the archive itself.
 */
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
