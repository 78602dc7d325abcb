/**
 * One batch on the wire: GNU tar on the source reads the NUL-separated list from stdin and
 * writes a POSIX (pax) archive — nanosecond mtimes, any name length, numeric owners — which
 * flows through the orchestrator's meter into GNU tar on the target. Nothing is buffered
 * beyond the stream windows, so file size does not matter.
 */
import { pipeline } from "node:stream/promises";
import { checkResult } from "../remote/check-result.ts";
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import type { Throttle } from "../steps/types.ts";
import { MeterStream } from "./meter.ts";

/**
 * --verbatim-files-from: a listed name starting with '-' is a name, not an option.
 * --ignore-failed-read: a file deleted on a live source since the manifest is not fatal; the
 * batch verification sees it gone on both sides and accepts that.
 */
export const TAR_CREATE = sh`tar -C / --null --verbatim-files-from --no-recursion --ignore-failed-read -H posix --numeric-owner -cpf - -T -`;
/** As root, tar restores owners by default; -p restores modes including setuid bits. */
export const TAR_EXTRACT = sh`tar -C / -xpf - --numeric-owner`;

/** Archive member names are relative to / so extraction never depends on tar's leading-slash handling. */
export function tarList(paths: readonly string[]): Buffer {
  return Buffer.from(paths.map((path) => `${path.replace(/^\/+/, "") || "."}\0`).join(""));
}

export interface SendOptions {
  signal: AbortSignal;
  throttle: Throttle;
  onBytes: (bytes: number) => void;
  timeoutMs: number;
  /** Stop when no byte moved for this long (a stalled stream). */
  idleTimeoutMs?: number;
}

/** Stream the listed paths from source to target; resolves with the archive bytes sent. */
export async function sendBatch(
  source: Remote,
  target: Remote,
  paths: readonly string[],
  options: SendOptions,
): Promise<number> {
  const streamOptions = {
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
  };
  const extract = await target.stream(TAR_EXTRACT, streamOptions);
  const create = await source.stream(TAR_CREATE, streamOptions);
  const meter = new MeterStream(options.throttle, options.signal, options.onBytes);
  create.stdin.on("error", () => {});
  create.stdin.end(tarList(paths));
  const piped = pipeline(create.stdout, meter, extract.stdin, { signal: options.signal });
  const [pipeResult, created, extracted] = await Promise.allSettled([piped, create.done, extract.done]);
  if (created.status === "rejected") throw created.reason;
  if (extracted.status === "rejected") throw extracted.reason;
  // tar exits 1 when a file changed while it was read; the batch verification decides then.
  // A broken pipe or a reset connection is worth another attempt; the batch is resent whole.
  if ((created.value.exitCode ?? 2) > 1) checkResult(created.value, { what: "tar", retryable: true });
  checkResult(extracted.value, { what: "tar", retryable: true });
  if (pipeResult.status === "rejected") throw pipeResult.reason;
  return meter.bytes;
}
