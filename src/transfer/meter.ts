/**
 * The Transform every transfer byte passes through on the orchestrator: it takes from the
 * shared bandwidth budget before letting a chunk on, and counts bytes for progress. Chunks are
 * passed on as they come (ssh channel windows are small), so memory stays bounded by the
 * stream high-water marks whatever the file sizes.
 */
import { Transform, type TransformCallback } from "node:stream";
import type { Throttle } from "./types.ts";

export class MeterStream extends Transform {
  bytes = 0;

  constructor(
    private readonly throttle: Throttle,
    private readonly signal: AbortSignal,
    private readonly onBytes: (bytes: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.throttle.take(chunk.length, this.signal).then(
      () => {
        this.bytes += chunk.length;
        this.onBytes(chunk.length);
        callback(null, chunk);
      },
      (error: unknown) => callback(error as Error),
    );
  }
}

/** Bytes and rate for ctx.progress, reported at most every `intervalMs` plus once at the end. */
export class ProgressTracker {
  private bytesDone = 0;
  private filesDone = 0;
  private lastReport = 0;
  private readonly started = Date.now();
  private readonly window: { at: number; bytes: number }[] = [];

  constructor(
    private bytesTotal: number,
    private readonly filesTotal: number,
    private readonly report: (progress: {
      bytesDone: number;
      bytesTotal: number;
      filesDone: number;
      filesTotal: number;
      rateBps: number;
    }) => void,
    private readonly intervalMs = 500,
  ) {}

  addBytes(bytes: number): void {
    this.bytesDone += bytes;
    this.maybeReport();
  }

  /** Correct the total by what a part really took (its estimate was off by `bytes`). */
  adjustTotal(bytes: number): void {
    this.bytesTotal += bytes;
  }

  addFiles(files: number): void {
    this.filesDone += files;
    this.maybeReport();
  }

  /** Average rate over the last few seconds, so a pause shows as a falling rate. */
  rateBps(now = Date.now()): number {
    this.window.push({ at: now, bytes: this.bytesDone });
    while (this.window.length > 2 && now - this.window[0]!.at > 5_000) this.window.shift();
    const first = this.window[0]!;
    const span = now - first.at;
    if (span <= 0) return 0;
    return Math.round(((this.bytesDone - first.bytes) * 1000) / span);
  }

  averageBps(now = Date.now()): number {
    const span = now - this.started;
    return span > 0 ? Math.round((this.bytesDone * 1000) / span) : 0;
  }

  flush(): void {
    this.lastReport = Date.now();
    this.report({
      bytesDone: this.bytesDone,
      bytesTotal: Math.max(this.bytesTotal, this.bytesDone),
      filesDone: this.filesDone,
      filesTotal: this.filesTotal,
      rateBps: this.rateBps(this.lastReport),
    });
  }

  private maybeReport(): void {
    if (Date.now() - this.lastReport >= this.intervalMs) this.flush();
  }
}

/**
 * Progress of batches in archive bytes, the unit of the total (archive-size.ts). Uncompressed,
 * the wire bytes are the archive's, and a batch's estimate is corrected by what it really took.
 * Compressed, the wire carries fewer: while a batch streams, each wire byte counts as the archive
 * bytes per wire byte of the batches before it (1 for the first), never past the batch's
 * estimate, and what is left of the estimate is counted when the batch is done.
 */
export class BatchProgress {
  private archive = 0;
  private wire = 0;

  constructor(
    private readonly tracker: ProgressTracker,
    private readonly compressed: boolean,
  ) {}

  /** The meter's callback for one batch of `estimate` archive bytes, and what to call once it is sent. */
  batch(estimate: number): { onBytes: (bytes: number) => void; sent: (wireBytes: number) => void } {
    const tracker = this.tracker;
    if (!this.compressed)
      return {
        onBytes: (bytes) => tracker.addBytes(bytes),
        sent: (wire) => tracker.adjustTotal(wire - estimate),
      };
    const ratio = this.wire > 0 ? this.archive / this.wire : 1;
    let counted = 0;
    return {
      onBytes: (bytes) => {
        const add = Math.min(estimate - counted, Math.round(bytes * ratio));
        if (add <= 0) return;
        counted += add;
        tracker.addBytes(add);
      },
      sent: (wire) => {
        tracker.addBytes(estimate - counted);
        this.archive += estimate;
        this.wire += wire;
      },
    };
  }
}
