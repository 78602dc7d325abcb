/**
 * The smallest tar writer that GNU tar reads: regular files with short plain names (chunk
 * digests), mode 600, owned by root, mtime 0. Enough to send a dump's new chunks to the target
 * as one stream (dump-delta.ts, seed-dumps.ts); every other archive is made by GNU tar itself.
 */

const BLOCK = 512;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

/** The 512-byte header of a regular file `name` (at most 100 ASCII bytes) of `size` bytes. */
export function ustarHeader(name: string, size: number): Buffer {
  if (!/^[\x21-\x7e]{1,100}$/.test(name))
    throw new Error(`ustar: unsupported member name ${JSON.stringify(name)}`);
  const header = Buffer.alloc(BLOCK);
  header.write(name, 0, "ascii");
  header.write(octal(0o600, 8), 100, "ascii");
  header.write(octal(0, 8), 108, "ascii");
  header.write(octal(0, 8), 116, "ascii");
  header.write(octal(size, 12), 124, "ascii");
  header.write(octal(0, 12), 136, "ascii");
  header.write("        ", 148, "ascii");
  header.write("0", 156, "ascii");
  header.write("ustar\0", 257, "ascii");
  header.write("00", 263, "ascii");
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return header;
}

/** A member as the blocks that carry it: header, content, and zeros to the next block. */
export function ustarMember(name: string, content: Buffer): Buffer[] {
  const pad = (BLOCK - (content.length % BLOCK)) % BLOCK;
  return [ustarHeader(name, content.length), content, Buffer.alloc(pad)];
}

/** The two zero blocks that end an archive. */
export function ustarEnd(): Buffer {
  return Buffer.alloc(2 * BLOCK);
}
