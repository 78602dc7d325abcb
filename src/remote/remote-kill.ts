/**
 * Killing a remote command. sshd refuses the SSH "signal" request for root sessions (it needs
 * privilege separation, which root logins skip) and closing a channel does not stop a command
 * that is not writing. So every command first reports its shell's PID on stderr; sshd made that
 * shell a session and process-group leader (setsid), so `kill -s KILL -- -PID`, run on a second
 * channel, stops the command and all its children.
 */
import type { Client } from "ssh2";
import { asRoot, raw, type ShellCommand, sh } from "./shell.ts";

/** Prepend the PID report to a command; the first stderr line is then `migrate-pid:N`. */
export function withPidReport(command: ShellCommand): ShellCommand {
  return sh`${raw('echo "migrate-pid:$$" >&2; ')}${command}`;
}

const PID_LINE = /^migrate-pid:(\d+)\n/;
const MAX_PREFIX = 40;

/**
 * Strips the PID line off the front of stderr. `push` returns the bytes that belong to the
 * command's own stderr (possibly none while the PID line is still incomplete).
 */
export class PidSniffer {
  pid: number | undefined;
  private pending: Buffer | undefined = Buffer.alloc(0);

  push(chunk: Buffer): Buffer {
    if (this.pending === undefined) return chunk;
    const joined = Buffer.concat([this.pending, chunk]);
    const newline = joined.indexOf(0x0a);
    if (newline < 0 && joined.length < MAX_PREFIX) {
      this.pending = joined;
      return Buffer.alloc(0);
    }
    this.pending = undefined;
    const match = PID_LINE.exec(joined.subarray(0, Math.min(joined.length, MAX_PREFIX)).toString("latin1"));
    if (!match) return joined;
    this.pid = Number(match[1]);
    return joined.subarray(match[0].length);
  }

  /** Whatever is held back when the stream ends without a complete PID line. */
  flush(): Buffer {
    const rest = this.pending ?? Buffer.alloc(0);
    this.pending = undefined;
    return rest;
  }
}

/**
 * SIGKILL the process group `pid` leads, over a fresh channel of the same connection. With
 * `become`, the group holds root processes (sudo's command), so the kill runs as root too.
 */
export function killRemoteGroup(client: Client, pid: number, become = false): Promise<void> {
  return new Promise<void>((resolve) => {
    try {
      // `-s KILL`: dash's kill (sh under sudo, or a login shell) reads `-KILL --` as a bad pid.
      const kill = sh`kill -s KILL -- ${`-${pid}`} 2>/dev/null; kill -s KILL ${pid} 2>/dev/null; true`;
      const command = become ? asRoot(kill) : kill;
      client.exec(command.text, (error, channel) => {
        if (error) return resolve();
        channel.on("close", () => resolve());
        channel.on("error", () => resolve());
        channel.resume();
        channel.stderr.resume();
      });
    } catch {
      // The connection is gone, and with it the session: nothing left to kill.
      resolve();
    }
  });
}
