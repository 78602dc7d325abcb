/**
 * The real `bin/migrate` as a child process in its own process group, so a test can SIGKILL the
 * orchestrator and everything it started at once, the way a crashed machine or `kill -9` would.
 * Every run has a hard deadline: a hang fails the test with what the process printed so far.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

export const REPO = join(import.meta.dirname, "../../..");
export const BIN = join(REPO, "bin/migrate");

export interface MigrateRun {
  child: ChildProcess;
  pid: number;
  /** Output so far (the whole output once `done` settles). */
  stdout(): string;
  stderr(): string;
  done: Promise<MigrateExit>;
  /** SIGKILL the whole process group (the orchestrator and any child it spawned). */
  killGroup(): void;
}

export interface MigrateExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** True when the hard deadline ended the process. */
  hung: boolean;
}

export function startMigrate(
  args: string[],
  options: { env?: Record<string, string>; deadlineMs?: number } = {},
): MigrateRun {
  const started = performance.now();
  // Through its #! line, as an operator runs it: with the V8 flags src/cli/memory-policy.ts relies on.
  const child = spawn(BIN, args, {
    cwd: REPO,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1", CI: "true", ...options.env },
  });
  if (child.pid === undefined) throw new Error("migrate did not start");
  const pid = child.pid;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on("data", (chunk: Buffer) => out.push(chunk));
  child.stderr?.on("data", (chunk: Buffer) => err.push(chunk));
  const killGroup = () => {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // The group is already gone.
    }
  };
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    killGroup();
  }, options.deadlineMs ?? 180_000);
  const done = new Promise<MigrateExit>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        durationMs: Math.round(performance.now() - started),
        hung,
      });
    });
  });
  return {
    child,
    pid,
    stdout: () => Buffer.concat(out).toString("utf8"),
    stderr: () => Buffer.concat(err).toString("utf8"),
    done,
    killGroup,
  };
}

export function runMigrate(
  args: string[],
  options: { env?: Record<string, string>; deadlineMs?: number } = {},
): Promise<MigrateExit> {
  return startMigrate(args, options).done;
}

/** `apply <plan> --yes --state-dir <dir> --output json`, the shape every suite uses. */
export function applyArgs(planFile: string, stateDir: string, extra: string[] = []): string[] {
  return ["apply", planFile, "--yes", "--state-dir", stateDir, "--output", "json", ...extra];
}
