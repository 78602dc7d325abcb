/**
 * One place that turns a finished remote command into success or a typed error, so every step
 * classifies failures alike: a cancel is an interruption, a deadline a timeout, a dropped
 * connection retryable "unreachable", and only a command that ran and failed is "remote".
 */
import { InterruptedError, RemoteError } from "../errors.ts";
import type { RunResult } from "./types.ts";

export interface CheckContext {
  /** What the command was doing, e.g. "cannot count rows of taxdb"; named instead of the command line. */
  what?: string;
  hint?: string;
  /** Whether a command that ran and failed is worth another attempt (a resent batch, say). */
  retryable?: boolean;
}

const STDERR_TAIL = 2000;

/** Returns the result when the command exited 0; otherwise throws the error that says why. */
export function checkResult(result: RunResult, context: CheckContext = {}): RunResult {
  if (result.exitCode === 0) return result;
  const failure = {
    host: result.host,
    command: result.command,
    exitCode: result.exitCode,
    signal: result.signal,
    stderrTail: result.stderr.slice(-STDERR_TAIL).trim(),
  };
  const short = result.command.length > 120 ? `${result.command.slice(0, 117)}...` : result.command;
  const subject = `${context.what ?? short} on ${result.host}`;
  const hint = context.hint === undefined ? {} : { hint: context.hint };
  if (result.canceled) throw new InterruptedError(`interrupted: ${subject}`);
  if (result.timedOut) {
    throw new RemoteError("timeout", `${subject}: timed out after ${result.durationMs} ms`, failure, hint);
  }
  if (result.exitCode === null && result.signal === null) {
    throw new RemoteError("unreachable", `${subject}: the connection was lost`, failure, hint);
  }
  const how = result.exitCode === null ? `signal ${result.signal}` : `exit code ${result.exitCode}`;
  const stderr = failure.stderrTail ? `: ${failure.stderrTail.split("\n").slice(-3).join(" / ")}` : "";
  throw new RemoteError("remote", `${subject} failed (${how})${stderr}`, failure, {
    ...hint,
    retryable: context.retryable ?? false,
  });
}
