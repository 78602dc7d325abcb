/**
 * `Remote` over a pooled ssh2 connection: each command is one exec channel, bounded per
 * connection. Success and failure settle to the same RunResult; a deadline or an abort kills the
 * command (signal KILL, then channel close) and is reported as timedOut / canceled.
 */
import type { Readable, Writable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import type { Client, ClientChannel } from "ssh2";
import { RemoteError } from "../errors.ts";
import type { OnCommand } from "./audit.ts";
import { checkResult } from "./check-result.ts";
import { killRemoteGroup, PidSniffer, withPidReport } from "./remote-kill.ts";
import type { Semaphore } from "./semaphore.ts";
import { asRoot, type ShellCommand } from "./shell.ts";
import { wireStreams } from "./stream-channel.ts";
import type { Remote, RunOptions, RunResult, StreamHandle } from "./types.ts";

/** Every remote operation has a deadline; callers with long transfers pass their own. */
export const DEFAULT_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_MAX_BUFFER = 16 * 1024 * 1024;
const STDERR_TAIL = 64 * 1024;
/** After the remote group is killed, in-flight output gets this long before we close our side. */
const KILL_CLOSE_DELAY_MS = 2000;
/** A killed command whose channel still has not closed by then is settled without its status. */
export const FORCE_SETTLE_MS = 10_000;
const FORCED_NOTE = "\nmigrate: the channel did not close after the command was killed; stopped waiting";

export interface SshRemoteDeps {
  connection(signal?: AbortSignal): Promise<Client>;
  semaphore: Semaphore;
  onCommand?: OnCommand;
  /** The host's `become: sudo`: every command runs as root through the one sudo wrapper. */
  become?: "sudo";
}

type Mode = { kind: "run"; maxBuffer: number } | { kind: "stream" };

interface Attached {
  done: Promise<RunResult>;
  stdin?: Writable;
  stdout?: Readable;
}

/** Keep the last `limit` bytes of a growing text. */
function tail(text: string, limit: number): string {
  return text.length > limit ? text.slice(text.length - limit) : text;
}

export class SshRemote implements Remote {
  constructor(
    readonly host: string,
    private readonly deps: SshRemoteDeps,
  ) {}

  async connection(signal?: AbortSignal): Promise<Client> {
    return await this.deps.connection(signal);
  }

  async run(command: ShellCommand, options: RunOptions = {}): Promise<RunResult> {
    const attached = await this.start(command, options, {
      kind: "run",
      maxBuffer: options.maxBuffer ?? DEFAULT_MAX_BUFFER,
    });
    return await attached.done;
  }

  async check(command: ShellCommand, options: RunOptions = {}): Promise<RunResult> {
    return checkResult(await this.run(command, options));
  }

  async stream(
    command: ShellCommand,
    options: Omit<RunOptions, "stdin" | "maxBuffer"> = {},
  ): Promise<StreamHandle> {
    const attached = await this.start(command, options, { kind: "stream" });
    return { stdin: attached.stdin!, stdout: attached.stdout!, done: attached.done };
  }

  private async start(command: ShellCommand, options: RunOptions, mode: Mode): Promise<Attached> {
    const release = await this.deps.semaphore.acquire(options.signal);
    try {
      const privileged = this.deps.become === "sudo" ? asRoot(command) : command;
      const { client, channel } = await this.exec(withPidReport(privileged).text, options.signal);
      return this.attach(client, channel, command.text, options, mode, release);
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Open an exec channel; a connection found dead before the command started is reopened once. */
  private async exec(
    text: string,
    signal: AbortSignal | undefined,
  ): Promise<{ client: Client; channel: ClientChannel }> {
    for (let attempt = 0; ; attempt += 1) {
      const client = await this.deps.connection(signal);
      try {
        const channel = await new Promise<ClientChannel>((resolve, reject) => {
          client.exec(text, (error, opened) => (error ? reject(error) : resolve(opened)));
        });
        return { client, channel };
      } catch (error) {
        const notConnected = /not connected|no response/i.test((error as Error).message);
        if (attempt === 0 && notConnected) {
          client.end();
          continue;
        }
        throw new RemoteError(
          "unreachable",
          `cannot open a channel on ${this.host}: ${(error as Error).message}`,
          { host: this.host, command: text, exitCode: null },
          { retryable: true, cause: error },
        );
      }
    }
  }

  private attach(
    client: Client,
    channel: ClientChannel,
    command: string,
    options: RunOptions,
    mode: Mode,
    release: () => void,
  ): Attached {
    const started = performance.now();
    let bytesIn = 0;
    let bytesOut = 0;
    let stdout = "";
    // A character's bytes may straddle two SSH packets: decode across chunks, never per chunk.
    const decoder = new StringDecoder("utf8");
    const stderrDecoder = new StringDecoder("utf8");
    let stdoutBytes = 0;
    let stderr = "";
    let exitCode: number | null;
    let signalName: string | null;
    let timedOut = false;
    let canceled = false;
    let note = "";
    let settled = false;

    const sniffer = new PidSniffer();
    let killRequested = false;
    // Stream mode: let unread stdout flow to nowhere, so ssh2 can emit close (it waits for the end).
    let drain = () => {};
    // Stream mode: close our stdin/stdout streams early (see stream-channel.ts).
    let abandonStreams = () => {};
    // Timers that exist only once a kill was asked for; ref'd so the process waits for the outcome.
    const killTimers: NodeJS.Timeout[] = [];
    const killGroup = (pid: number) => {
      // Close our side only once the group is dead, so output already in flight is not lost.
      void killRemoteGroup(client, pid, this.deps.become === "sudo").then(() => {
        if (!settled) killTimers.push(setTimeout(() => channel.close(), KILL_CLOSE_DELAY_MS));
      });
    };
    const kill = () => {
      if (killRequested) return;
      killRequested = true;
      // The command's output is no longer wanted: drain the channel and close our streams early,
      // so the consumer's pipeline ends now rather than waiting on a stream that would never end.
      drain();
      abandonStreams();
      // Whatever the kill channel or the peer do, the outcome is settled by then.
      killTimers.push(setTimeout(() => settle(undefined, undefined, FORCED_NOTE), FORCE_SETTLE_MS));
      if (sniffer.pid !== undefined) killGroup(sniffer.pid);
      // No PID yet (the shell has not started): closing is the best left; a late PID still kills.
      else killTimers.push(setTimeout(() => channel.close(), KILL_CLOSE_DELAY_MS));
    };
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    // Progress, not the clock alone: a stream that moved no byte for idleTimeoutMs is stalled.
    let stallTimer: NodeJS.Timeout | undefined;
    const touch = () => {
      if (options.idleTimeoutMs === undefined || settled) return;
      clearTimeout(stallTimer);
      stallTimer = setTimeout(() => {
        timedOut = true;
        note = `\nmigrate: no data moved for ${Math.round((options.idleTimeoutMs ?? 0) / 1000)} s; command killed as stalled`;
        kill();
      }, options.idleTimeoutMs);
    };
    touch();
    const onAbort = () => {
      canceled = true;
      kill();
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    // ssh2 closes a channel of a dead connection only once its stdout was read to the end, which
    // a stalled consumer never does: the connection's own close settles the command as lost.
    const onConnectionLost = () => settle(undefined, undefined);
    client.once("close", onConnectionLost);

    const addStderr = (chunk: Buffer) => {
      bytesIn += chunk.length;
      touch();
      stderr = tail(stderr + stderrDecoder.write(chunk), mode.kind === "run" ? mode.maxBuffer : STDERR_TAIL);
    };
    channel.stderr.on("data", (chunk: Buffer) => {
      const hadPid = sniffer.pid !== undefined;
      const own = sniffer.push(chunk);
      if (own.length > 0) addStderr(own);
      if (!hadPid && sniffer.pid !== undefined && killRequested) killGroup(sniffer.pid);
    });
    channel.stderr.on("end", () => {
      const rest = sniffer.flush();
      if (rest.length > 0) addStderr(rest);
    });
    // A write after the remote side closed surfaces here; the outcome is read from close.
    channel.on("error", () => {});

    const attached: Partial<Attached> = {};
    if (mode.kind === "run") {
      channel.on("data", (chunk: Buffer) => {
        bytesIn += chunk.length;
        touch();
        stdoutBytes += chunk.length;
        if (stdoutBytes > mode.maxBuffer) {
          if (!note) {
            note = `\nmigrate: stdout exceeded maxBuffer (${mode.maxBuffer} bytes); command killed`;
            kill();
          }
          return;
        }
        stdout += decoder.write(chunk);
      });
      feedStdin(channel, options.stdin, (n) => {
        bytesOut += n;
        touch();
      });
    } else {
      const wired = wireStreams(
        channel,
        (n) => {
          bytesIn += n;
          touch();
        },
        (n) => {
          bytesOut += n;
          touch();
        },
        () => settled,
      );
      drain = wired.drain;
      abandonStreams = wired.abandon;
      attached.stdout = wired.stdout;
      attached.stdin = wired.stdin;
    }

    let resolveDone!: (result: RunResult) => void;
    const done = new Promise<RunResult>((resolve) => {
      resolveDone = resolve;
    });
    /** Settle once: from close (code, signal), or as lost / forced (both undefined). */
    function settle(code: number | null | undefined, signal: string | null | undefined, extra = ""): void {
      if (settled) return;
      settled = true;
      const normal = code !== undefined || signal !== undefined;
      exitCode = typeof code === "number" ? code : null;
      signalName = signal ?? null;
      clearTimeout(timer);
      clearTimeout(stallTimer);
      for (const pending of killTimers) clearTimeout(pending);
      options.signal?.removeEventListener("abort", onAbort);
      client.off("close", onConnectionLost);
      release();
      if (!normal) {
        drain();
        abandonStreams();
      }
      finish(extra);
    }
    const finish = (extra: string) => {
      const result: RunResult = {
        host: this.host,
        command,
        exitCode: timedOut || canceled ? null : exitCode,
        signal: timedOut || canceled ? (signalName ?? "KILL") : signalName,
        stdout: stdout + decoder.end(),
        stderr: stderr + stderrDecoder.end() + note + extra,
        durationMs: Math.round(performance.now() - started),
        timedOut,
        canceled,
        bytesOut,
        bytesIn,
      };
      if (note && result.signal === null) result.signal = "KILL";
      this.deps.onCommand?.({
        host: result.host,
        command,
        exitCode: result.exitCode,
        signal: result.signal,
        durationMs: result.durationMs,
        bytesIn,
        bytesOut,
        timedOut,
        canceled,
      });
      resolveDone(result);
    };
    // The exit status is taken from "close", not "exit": ssh2 may emit "exit" while parsing the
    // same packet batch that opened the channel, before these listeners exist, whereas "close"
    // waits for stdout to be read to its end and carries the status.
    channel.once("close", (code?: number | null, signal?: string) => settle(code ?? null, signal ?? null));
    return { ...attached, done };
  }
}

function feedStdin(channel: ClientChannel, stdin: RunOptions["stdin"], count: (n: number) => void): void {
  if (stdin === undefined) {
    // Commands that read stdin must see EOF, not hang until the deadline.
    channel.end();
  } else if (typeof stdin === "string" || Buffer.isBuffer(stdin)) {
    const data = typeof stdin === "string" ? Buffer.from(stdin, "utf8") : stdin;
    count(data.length);
    channel.end(data);
  } else {
    stdin.on("data", (chunk: Buffer | string) => count(Buffer.byteLength(chunk)));
    stdin.pipe(channel);
  }
}
