/**
 * Issue 11 item 14: whether a lock's holder is alive is read from the process itself, with real
 * processes. A SIGKILLed holder that nobody reaps (its parent never waits, as in a container
 * without an init) is a zombie — kill(pid, 0) still succeeds on it — and must count as gone; a
 * process that merely reuses the holder's pid is not the holder either.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { acquireLock, readHolder } from "../../../../src/engine/journal/lock.ts";
import { tempDir } from "../fixtures.ts";

const holderScript = fileURLToPath(new URL("../hold-lock.ts", import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

/** State letter and start time of a process, read here from /proc (not through the code under test). */
function processStat(pid: number): { state: string; start: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] as string, start: fields[19] as string };
  } catch {
    return undefined;
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe.skipIf(!existsSync("/proc/self/stat"))("lock holder liveness", () => {
  it("records the holder's process start time", async () => {
    const path = join(tempDir(), "lock");
    const lock = await acquireLock(path, "migrate apply x");
    expect(readHolder(path)?.processStart).toBe(processStat(process.pid)?.start);
    lock.release();
  });

  it("takes over from a SIGKILLed holder left a zombie by a parent that never reaps it", async () => {
    const path = join(tempDir(), "lock");
    // The shell starts the holder, then becomes `sleep`, which never waits for its children.
    const parent = spawn(
      "sh",
      ["-c", 'node --import tsx "$0" "$1" >/dev/null & exec sleep 60', holderScript, path],
      { stdio: "ignore" },
    );
    children.push(parent);
    await until(() => readHolder(path) !== undefined, "the holder to take the lock");
    const holder = readHolder(path)!;
    process.kill(holder.pid, "SIGKILL");
    await until(() => processStat(holder.pid)?.state === "Z", "the holder to become a zombie");
    // kill(pid, 0) still succeeds on it: the old liveness test saw it alive.
    expect(() => process.kill(holder.pid, 0)).not.toThrow();
    const lock = await acquireLock(path, "migrate apply resumed");
    expect(lock.recovered).toMatchObject({ pid: holder.pid, command: "migrate apply test-holder" });
    lock.release();
  });

  it("takes over a lock whose pid now belongs to another process", async () => {
    const path = join(tempDir(), "lock");
    const other = spawn("sleep", ["60"], { stdio: "ignore" });
    children.push(other);
    await once(other, "spawn");
    const start = processStat(other.pid!)!.start;
    const holder = {
      pid: other.pid,
      host: hostname(),
      user: "ops",
      startedAt: "2026-01-01T00:00:00.000Z",
      command: "migrate apply before-reboot",
      // The recorded holder started at another tick than the process now using its pid.
      processStart: String(Number(start) - 1),
    };
    writeFileSync(path, JSON.stringify(holder));
    const lock = await acquireLock(path, "migrate apply now");
    expect(lock.recovered).toMatchObject({ pid: other.pid, command: "migrate apply before-reboot" });
    lock.release();
  });

  it("respects a live holder whose start time matches, and an older lock without one", async () => {
    const path = join(tempDir(), "lock");
    const other = spawn("sleep", ["60"], { stdio: "ignore" });
    children.push(other);
    await once(other, "spawn");
    const base = {
      pid: other.pid,
      host: hostname(),
      user: "ops",
      startedAt: "t",
      command: "migrate apply live",
    };
    writeFileSync(path, JSON.stringify({ ...base, processStart: processStat(other.pid!)!.start }));
    await expect(acquireLock(path, "migrate apply y")).rejects.toMatchObject({ kind: "locked" });
    writeFileSync(path, JSON.stringify(base));
    await expect(acquireLock(path, "migrate apply y")).rejects.toMatchObject({ kind: "locked" });
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual(base);
  });
});
