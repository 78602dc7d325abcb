/**
 * Split the output of `head -c N -- /dev/null FILE...` (or `tail -c N`) back into files: each
 * file's bytes follow a `==> NAME <==` line, with a newline before every header but a batch's
 * first (find -exec ... {} + may start several batches). Pure.
 */
export interface HeadChunk {
  name: string;
  content: Buffer;
}

const OPEN = Buffer.from("==> ");
const CLOSE = Buffer.from(" <==\n");

/** Does a header start at `at`: `==> NAME <==` with a name free of newlines (find left those out)? */
function headerAt(bytes: Buffer, at: number): boolean {
  if (!bytes.subarray(at, at + OPEN.length).equals(OPEN)) return false;
  const close = bytes.indexOf(CLOSE, at + OPEN.length);
  return close >= 0 && !bytes.subarray(at + OPEN.length, close).includes(0x0a);
}

/**
 * Where a file's bytes end: at the first real header within its N bytes (a shorter file, or
 * the next file right after N bytes), else after N bytes. Header-like bytes inside a file are
 * not headers unless a whole newline-free header fits, which N bytes of ELF header never hold.
 */
function contentEnd(bytes: Buffer, start: number, length: number): number {
  for (let at = bytes.indexOf(OPEN, start); at >= 0 && at <= start + length + 1; ) {
    if (headerAt(bytes, at)) return at > start && bytes[at - 1] === 0x0a ? at - 1 : at;
    at = bytes.indexOf(OPEN, at + 1);
  }
  return Math.min(start + length, bytes.length);
}

export function splitHeadStream(bytes: Buffer, length: number): HeadChunk[] {
  const chunks: HeadChunk[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes[at] === 0x0a && headerAt(bytes, at + 1)) at += 1;
    if (!headerAt(bytes, at)) break;
    const close = bytes.indexOf(CLOSE, at + OPEN.length);
    const name = bytes.subarray(at + OPEN.length, close).toString("utf8");
    const start = close + CLOSE.length;
    const end = contentEnd(bytes, start, length);
    if (name !== "/dev/null") chunks.push({ name, content: bytes.subarray(start, end) });
    at = end;
  }
  return chunks;
}
