import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { acquireLock, readHolder } from "../../../../src/engine/journal/lock.ts";
import { tempDir } from "../fixtures.ts";

const holderScript = fileURLToPath(new URL("../hold-lock.ts", import.meta.url));
const children: ChildProcess[] = [];

async function childHolding(path: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", holderScript, path], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  const [chunk] = (await once(child.stdout!, "data")) as [Buffer];
  expect(chunk.toString()).toBe("held\n");
  return child;
}

afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

describe("state lock", () => {
  it("is taken with the holder recorded and released", async () => {
    const path = join(tempDir(), "plan", "lock");
    const lock = await acquireLock(path, "migrate apply x");
    expect(readHolder(path)).toMatchObject({
      pid: process.pid,
      host: hostname(),
      command: "migrate apply x",
    });
    lock.release();
    expect(existsSync(path)).toBe(false);
  });

  it("refuses a second holder and names the first", async () => {
    const path = join(tempDir(), "lock");
    const child = await childHolding(path);
    await expect(acquireLock(path, "migrate apply y")).rejects.toMatchObject({
      kind: "locked",
      message: expect.stringContaining(`pid ${child.pid}`),
    });
    await expect(acquireLock(path, "migrate apply y")).rejects.toThrow(/migrate apply test-holder/);
  });

  it("recovers a stale lock after its holder was killed with SIGKILL", async () => {
    const path = join(tempDir(), "lock");
    const child = await childHolding(path);
    const pid = child.pid;
    child.kill("SIGKILL");
    await once(child, "exit");
    expect(readHolder(path)?.pid).toBe(pid);
    const lock = await acquireLock(path, "migrate apply z");
    expect(lock.recovered).toMatchObject({ pid, command: "migrate apply test-holder" });
    expect(readHolder(path)?.pid).toBe(process.pid);
    lock.release();
  });

  it("never releases a lock another process took over", async () => {
    const path = join(tempDir(), "lock");
    const lock = await acquireLock(path, "migrate apply a");
    const other = { pid: 1, host: hostname(), user: "root", startedAt: "x", command: "other" };
    writeFileSync(path, JSON.stringify(other));
    lock.release();
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual(other);
  });

  it("respects a lock held from another host", async () => {
    const path = join(tempDir(), "lock");
    writeFileSync(
      path,
      JSON.stringify({
        pid: 999999,
        host: "elsewhere",
        user: "ops",
        startedAt: "t",
        command: "migrate apply",
      }),
    );
    await expect(acquireLock(path, "migrate apply")).rejects.toMatchObject({
      kind: "locked",
      hint: expect.stringContaining("delete"),
    });
  });
});
