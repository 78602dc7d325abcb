/**
 * Stream mode of an exec channel: counted stdin/stdout streams handed to the caller, wired so
 * that whatever the caller does with them, ssh2 can still emit the channel's close (it waits for
 * stdout to be read to its end), and so that a command settled without a close never leaves the
 * caller's pipeline waiting.
 */
import { Transform } from "node:stream";
import type { ClientChannel } from "ssh2";

export interface WiredStreams {
  stdin: Transform;
  stdout: Transform;
  /** Let unread stdout flow to nowhere: the command's output is no longer wanted. */
  drain(): void;
  /**
   * Close both streams early, so a pipeline through them fails (premature close) instead of
   * waiting. Destroyed without an error: a stream nobody listens to for errors must not crash.
   */
  abandon(): void;
}

function counter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
}

export function wireStreams(
  channel: ClientChannel,
  countIn: (n: number) => void,
  countOut: (n: number) => void,
  settled: () => boolean,
): WiredStreams {
  const stdout = counter(countIn);
  const stdin = counter(countOut);
  channel.pipe(stdout);
  stdin.pipe(channel);
  const drain = () => {
    channel.unpipe(stdout);
    channel.resume();
  };
  // A consumer that tore its pipeline down reads no more: drain, or close never comes.
  stdout.on("close", () => {
    if (!stdout.readableEnded) drain();
  });
  // Our stdin destroyed before it ended (its producer failed): EOF, so the command can exit.
  stdin.on("close", () => {
    if (!stdin.writableFinished && !settled()) endQuietly(channel);
  });
  return {
    stdin,
    stdout,
    drain,
    abandon: () => {
      stdout.destroy();
      stdin.destroy();
    },
  };
}

function endQuietly(channel: ClientChannel): void {
  try {
    channel.end();
  } catch {
    // The channel is already gone: its close settles the command.
  }
}
