/**
 * The seam between the engine and hosts. A `Remote` runs commands on one host; success and
 * failure have the same result shape (execa's idea), and `check()` turns a failure into a
 * typed `RemoteError`.
 */
import type { Readable, Writable } from "node:stream";
import type { Client } from "ssh2";
import type { ShellCommand } from "./shell.ts";

export interface RunOptions {
  signal?: AbortSignal;
  /** Deadline for the whole command; every remote operation has one. */
  timeoutMs?: number;
  /** Stop the command when no byte moved in either direction for this long (a stalled stream). */
  idleTimeoutMs?: number;
  /** Bytes or a stream fed to the command's stdin, then closed. */
  stdin?: string | Buffer | Readable;
  /** Keep at most this many bytes of stdout in the result (default 16 MiB). */
  maxBuffer?: number;
}

export interface RunResult {
  host: string;
  command: string;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  canceled: boolean;
  bytesOut: number;
  bytesIn: number;
}

export interface StreamHandle {
  stdin: Writable;
  stdout: Readable;
  /** Settles when the remote command exits; stdout is not buffered into the result. */
  done: Promise<RunResult>;
}

export interface Remote {
  readonly host: string;
  run(command: ShellCommand, options?: RunOptions): Promise<RunResult>;
  /** Like run(), but throws a RemoteError when the exit code is not 0. */
  check(command: ShellCommand, options?: RunOptions): Promise<RunResult>;
  /** Raw streams for transfers: nothing is buffered, back-pressure is honoured. */
  stream(command: ShellCommand, options?: Omit<RunOptions, "stdin" | "maxBuffer">): Promise<StreamHandle>;
  /** The host's live SSH connection, for port forwarding (tunnel.ts); absent off SSH. */
  connection?(signal?: AbortSignal): Promise<Client>;
}
