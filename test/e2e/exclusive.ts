/**
 * One e2e run at a time on the shared fleet: apply tests move the fleet's systems and reset them,
 * so two runs interleaving would see each other's half-moved hosts. The lock is a directory
 * (atomic mkdir) holding the owner's pid; a lock whose owner died is taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export async function acquireExclusive(dir: string, log: (line: string) => void): Promise<() => void> {
  const lock = join(dir, "e2e.lock");
  const ownerFile = join(lock, "pid");
  let announced = false;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(ownerFile, String(process.pid));
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = Number.parseInt(readFileSafe(ownerFile), 10);
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (!announced) {
      log(`waiting for another e2e run (pid ${owner || "?"}) to release ${lock}`);
      announced = true;
    }
    await sleep(1000);
  }
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
