/**
 * What a transfer reports and what it draws on: progress figures and the shared bandwidth
 * budget. They live on the transfer floor because transfers use them; steps pass them through
 * their context and the engine's events carry the same progress figures.
 */

export interface Progress {
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
  rateBps: number;
  /** Transfer only: what was found already on the target, verified by its digest there, not sent. */
  filesInPlace?: number;
  bytesInPlace?: number;
}

/** A shared bandwidth budget: transfers `take(bytes)` before sending; one budget for all of them. */
export interface Throttle {
  take(bytes: number, signal?: AbortSignal): Promise<void>;
  /** The budget and how many transfers may share it at once; absent when unlimited. */
  readonly budget?: { bytesPerSecond: number; sharers: number };
}
