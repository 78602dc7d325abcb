/**
 * A `Remote` that runs `sh -c` on this machine, for unit tests of the step scripts only (the
 * manifest script, rewrites). Pipeline tests use the real SSH layer on the fleet.
 */
import { Readable } from "node:stream";
import { execa } from "execa";
import { RemoteError } from "../../src/errors.ts";
import type { ShellCommand } from "../../src/remote/shell.ts";
import type { Remote, RunOptions, RunResult, StreamHandle } from "../../src/remote/types.ts";

export class LocalRemote implements Remote {
  readonly host = "local";

  async run(command: ShellCommand, options: RunOptions = {}): Promise<RunResult> {
    const started = Date.now();
    const input = options.stdin;
    const child = execa("sh", ["-c", command.text], {
      reject: false,
      encoding: "utf8",
      ...(options.signal ? { cancelSignal: options.signal } : {}),
      ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
      ...(input === undefined
        ? { stdin: "ignore" as const }
        : input instanceof Readable
          ? { stdin: input }
          : { input }),
    });
    const result = await child;
    return {
      host: this.host,
      command: command.text,
      exitCode: result.exitCode ?? null,
      signal: result.signal ?? null,
      stdout: String(result.stdout ?? ""),
      stderr: String(result.stderr ?? ""),
      durationMs: Date.now() - started,
      timedOut: result.timedOut,
      canceled: result.isCanceled,
      bytesOut: 0,
      bytesIn: 0,
    };
  }

  async check(command: ShellCommand, options: RunOptions = {}): Promise<RunResult> {
    const result = await this.run(command, options);
    if (result.exitCode !== 0) {
      throw new RemoteError("remote", `command failed on ${this.host}`, {
        host: this.host,
        command: command.text,
        exitCode: result.exitCode,
        stderrTail: result.stderr.slice(-2000),
      });
    }
    return result;
  }

  async stream(
    command: ShellCommand,
    options: Omit<RunOptions, "stdin" | "maxBuffer"> = {},
  ): Promise<StreamHandle> {
    const started = Date.now();
    const child = execa("sh", ["-c", command.text], {
      reject: false,
      buffer: { stdout: false, stderr: true },
      encoding: "buffer",
      ...(options.signal ? { cancelSignal: options.signal } : {}),
      ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
    });
    const done = child.then((result) => ({
      host: this.host,
      command: command.text,
      exitCode: result.exitCode ?? null,
      signal: result.signal ?? null,
      stdout: "",
      stderr: Buffer.from(result.stderr ?? "").toString("utf8"),
      durationMs: Date.now() - started,
      timedOut: result.timedOut,
      canceled: result.isCanceled,
      bytesOut: 0,
      bytesIn: 0,
    }));
    return { stdin: child.stdin!, stdout: child.stdout!, done };
  }
}
