/**
 * A real terminal for tests: a detached tmux session of fixed size running a command; the test
 * reads the screen with capture-pane and types with send-keys. Waits poll the screen (never fixed
 * sleeps for what can be awaited).
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Terminal {
  screen(): string;
  send(...keys: string[]): void;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  kill(): void;
}

/**
 * Every terminal has a tmux server of its own (-S, a socket removed at kill): with one shared server, the last session's
 * kill makes it exit while another test's new-session is connecting ("server exited
 * unexpectedly", seen in CI when two terminal suites ran at once).
 */
function tmuxOn(socket: string, ...args: string[]): string {
  return execFileSync("tmux", ["-S", socket, ...args], { encoding: "utf8" });
}

export function openTerminal(
  command: string,
  options: { cwd: string; env?: Record<string, string> },
): Terminal {
  const name = `migrate-test-${randomBytes(4).toString("hex")}`;
  const socket = join(tmpdir(), `${name}.tmux`);
  const tmux = (...args: string[]) => tmuxOn(socket, ...args);
  const env = Object.entries(options.env ?? {}).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
  // `; sleep` keeps the pane (and its last screen and exit line) readable after the command ends.
  tmux(
    "new-session",
    "-d",
    "-s",
    name,
    "-x",
    "120",
    "-y",
    "40",
    "-c",
    options.cwd,
    ...env,
    // The tmux server inherits CI and NO_COLOR from the test run; an operator's terminal has
    // neither, and CI=true would (rightly) turn the live view off.
    `env -u CI -u NO_COLOR ${command}; echo "EXIT=$?"; sleep 600`,
  );
  const screen = () => tmux("capture-pane", "-p", "-t", name);
  return {
    screen,
    send: (...keys) => void tmux("send-keys", "-t", name, ...keys),
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let last = "";
      while (Date.now() < deadline) {
        last = screen();
        if (pattern.test(last)) return last;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`terminal never showed ${pattern} within ${timeoutMs} ms; screen:\n${last}`);
    },
    kill: () => {
      try {
        tmux("kill-server");
      } catch {
        // Already gone: nothing to clean up.
      }
      rmSync(socket, { force: true });
    },
  };
}
