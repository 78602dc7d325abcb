/**
 * Content-defined chunking (a gear rolling hash, as FastCDC uses): a dump is cut where the hash
 * of its last 32 bytes has 16 zero high bits, not at fixed offsets, so a row inserted or changed
 * in the middle changes the chunk around it and leaves every later cut where it was. Two dumps of
 * a database with a small change then share all but a few chunks, and only those cross the link
 * (dump-delta.ts). Pure: the same bytes always give the same chunks, in any pieces they arrive.
 */

/** No cut before this many bytes of a chunk (hashing restarts after each cut). */
export const MIN_CHUNK = 16 * 1024;
/** A cut is forced here: a run of bytes without a cut point (zeros) still makes chunks. */
export const MAX_CHUNK = 256 * 1024;
/** 16 high bits: a cut about every 64 KiB past the minimum. */
const MASK = 0xffff0000;

/** 256 fixed pseudo-random words (xorshift32 from a fixed seed): the chunking must never change between versions. */
const GEAR = (() => {
  const table = new Uint32Array(256);
  let x = 0x9e3779b9;
  for (let i = 0; i < 256; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    table[i] = x;
  }
  return table;
})();

/** Feed bytes in any pieces; receive whole chunks as their ends are found, and the rest at `end()`. */
export class ChunkSplitter {
  private pending: Buffer[] = [];
  private length = 0;
  private hash = 0;

  push(data: Buffer): Buffer[] {
    const chunks: Buffer[] = [];
    let start = 0;
    for (let i = 0; i < data.length; i++) {
      this.hash = ((this.hash << 1) + GEAR[data[i]!]!) >>> 0;
      const size = this.length + (i - start) + 1;
      if (size < MIN_CHUNK) continue;
      if ((this.hash & MASK) !== 0 && size < MAX_CHUNK) continue;
      this.pending.push(data.subarray(start, i + 1));
      chunks.push(Buffer.concat(this.pending));
      this.pending = [];
      this.length = 0;
      this.hash = 0;
      start = i + 1;
    }
    if (start < data.length) {
      // Copied: the caller may reuse its buffer once push returns.
      this.pending.push(Buffer.from(data.subarray(start)));
      this.length += data.length - start;
    }
    return chunks;
  }

  end(): Buffer[] {
    if (this.length === 0) return [];
    const last = Buffer.concat(this.pending);
    this.pending = [];
    this.length = 0;
    this.hash = 0;
    return [last];
  }
}
