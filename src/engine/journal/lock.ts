/**
 * One writer per state directory. The lock file is created with O_EXCL and names its holder;
 * a lock whose process is dead on this host is stale and is taken over (the caller journals
 * it). A lock held from another host is never guessed about: the operator decides.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { mkdir } from "node:fs/promises";
import { hostname, userInfo } from "node:os";
import { dirname } from "node:path";
import { UserError } from "../../errors.ts";

export interface LockHolder {
  pid: number;
  host: string;
  user: string;
  startedAt: string;
  command: string;
  /**
   * The holder's start time as the kernel counts it (clock ticks since boot, /proc/<pid>/stat
   * field 22): with the pid it names one process for good, so a reused pid is not the holder.
   */
  processStart?: string;
}

export interface HeldLock {
  path: string;
  holder: LockHolder;
  /** The stale holder this lock replaced, to be journaled. */
  recovered?: LockHolder;
  release(): void;
}

/** A lock file younger than this with unreadable contents is being written right now. */
const UNREADABLE_GRACE_MS = 5_000;

export function currentHolder(command: string): LockHolder {
  const start = processStat(process.pid)?.start;
  return {
    pid: process.pid,
    host: hostname(),
    user: safeUser(),
    startedAt: new Date().toISOString(),
    command,
    ...(start === undefined ? {} : { processStart: start }),
  };
}

/**
 * A process's state letter and start time from /proc/<pid>/stat; undefined when there is no
 * such process, null where /proc is not there to ask (then only kill(pid, 0) can tell).
 */
export function processStat(pid: number): { state: string; start: string } | undefined | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ESRCH") return existsSync("/proc/self/stat") ? undefined : null;
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces or ")": split after the last.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0] ?? "", start: fields[19] ?? "" };
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? "unknown");
  }
}

/**
 * Is the lock's holder alive? Only meaningful for a pid on this host. A zombie (SIGKILLed, not
 * yet reaped — forever in a container without an init) is dead, and so is a process that only
 * reuses the pid: its start time differs from the one the holder recorded.
 */
export function holderAlive(holder: Pick<LockHolder, "pid" | "processStart">): boolean {
  const stat = processStat(holder.pid);
  if (stat === undefined) return false;
  if (stat === null) return processAlive(holder.pid);
  if (stat.state === "Z" || stat.state === "X" || stat.state === "x") return false;
  return holder.processStart === undefined || holder.processStart === stat.start;
}

/** Does a process with this pid exist (zombies included)? kill(pid, 0), for hosts without /proc. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function readHolder(path: string): LockHolder | undefined {
  try {
    const value = JSON.parse(readFileSync(path, "utf8")) as LockHolder;
    return typeof value.pid === "number" && typeof value.host === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

function tryCreate(path: string, holder: LockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  try {
    writeSync(fd, `${JSON.stringify(holder)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

export function describeHolder(holder: LockHolder): string {
  return `pid ${holder.pid} (${holder.user}@${holder.host}, \`${holder.command}\`, since ${holder.startedAt})`;
}

/** Why a lock is stale, or undefined when it must be respected. */
function staleness(path: string, holder: LockHolder | undefined): string | undefined {
  if (!holder) {
    let age = 0;
    try {
      age = Date.now() - statSync(path).mtimeMs;
    } catch {
      return "lock vanished";
    }
    return age > UNREADABLE_GRACE_MS ? "unreadable lock file" : undefined;
  }
  if (holder.host !== hostname()) return undefined;
  return holderAlive(holder) ? undefined : `process ${holder.pid} is gone`;
}

/**
 * Take the lock or throw UserError("locked") naming the holder. Takeover of a stale lock is
 * serialized by a second O_EXCL file (`lock.takeover`) so two recovering processes cannot both
 * win; a takeover file left by a dead process is itself stale.
 */
export async function acquireLock(path: string, command: string): Promise<HeldLock> {
  await mkdir(dirname(path), { recursive: true });
  const holder = currentHolder(command);
  for (let round = 0; round < 5; round++) {
    if (tryCreate(path, holder)) return held(path, holder);
    const existing = readHolder(path);
    const stale = staleness(path, existing);
    if (!stale) {
      const who = existing ? describeHolder(existing) : "a process that is writing it right now";
      throw new UserError("locked", `the state directory ${dirname(path)} is locked by ${who}`, {
        hint:
          existing && existing.host !== hostname()
            ? `wait for it to finish; if that host's run is gone for good, delete ${path}`
            : "wait for it to finish, or follow it with `migrate status`",
      });
    }
    const guard = `${path}.takeover`;
    if (!tryCreate(guard, holder)) {
      const other = readHolder(guard);
      if (other && other.host === hostname() && !holderAlive(other)) rmSync(guard, { force: true });
      continue;
    }
    try {
      // Re-check under the guard: the lock may have been replaced since we read it.
      const again = readHolder(path);
      if (JSON.stringify(again) === JSON.stringify(existing) && staleness(path, again))
        rmSync(path, { force: true });
      if (tryCreate(path, holder)) {
        const lock = held(path, holder);
        if (existing) lock.recovered = existing;
        return lock;
      }
    } finally {
      rmSync(guard, { force: true });
    }
  }
  throw new UserError("locked", `could not take the lock ${path}: it keeps changing hands`, {
    hint: "another migrate is starting on the same state; run one at a time",
  });
}

function held(path: string, holder: LockHolder): HeldLock {
  return {
    path,
    holder,
    release() {
      // Only remove our own lock: never one a later process took over.
      const current = readHolder(path);
      if (current && current.pid === holder.pid && current.startedAt === holder.startedAt)
        rmSync(path, { force: true });
    },
  };
}

/** For `status`: the live holder of the lock, if an apply is running now. */
export function liveHolder(path: string): LockHolder | undefined {
  const holder = readHolder(path);
  if (!holder) return undefined;
  if (holder.host === hostname() && !holderAlive(holder)) return undefined;
  return holder;
}
