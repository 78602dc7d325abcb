/**
 * The portability scan's later round trips, only for hosts with Java archives: their central
 * directories (from the end records the first round found), then the first bytes of the Linux
 * libraries those directories list. Two commands per host however many archives there are.
 */
import type { NativeFile } from "../plan/portability-facts.ts";
import type { Remote } from "../remote/types.ts";
import { ELF_HEADER_BYTES } from "./elf.ts";
import { type ArchiveFound, memberNative, nativeMembers, type PendingMember } from "./parse-scan.ts";
import { type FileRange, parseRanges, rangesCommand } from "./ranges.ts";
import { newNonce } from "./script.ts";
import { memberHead, memberReadLength } from "./zip.ts";

/**
 * Bounds on what is read: directory bytes per archive (a shaded JAR of 30,000 classes has a
 * 3 MiB directory) and per host (od's hex of it must fit the 64 MiB output buffer), archives
 * and members per host.
 */
export const DIRECTORY_LIMIT = 4 * 1024 * 1024;
export const DIRECTORY_BUDGET = 16 * 1024 * 1024;
export const ARCHIVE_LIMIT = 2000;
export const MEMBER_LIMIT = 500;

export interface ArchiveScanOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** The bounds above, smaller in tests. */
  limits?: { directory: number; budget: number; archives: number; members: number };
}

const LIMITS = {
  directory: DIRECTORY_LIMIT,
  budget: DIRECTORY_BUDGET,
  archives: ARCHIVE_LIMIT,
  members: MEMBER_LIMIT,
};

async function readRanges(
  remote: Remote,
  ranges: readonly FileRange[],
  options: ArchiveScanOptions,
): Promise<Map<number, Buffer>> {
  const nonce = newNonce();
  const result = await remote.run(rangesCommand(nonce, ranges), {
    timeoutMs: options.timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  // An archive that cannot be read is not a reason to fail the host's inventory.
  return result.exitCode === 0 ? parseRanges(result.stdout, nonce) : new Map();
}

/**
 * Native members of the archives, with their machine, and the archives not fully read (past
 * the archive limit, a directory cut at its limit, members past the member limit).
 */
export async function scanArchives(
  remote: Remote,
  archives: readonly ArchiveFound[],
  options: ArchiveScanOptions,
): Promise<{ native: NativeFile[]; unread: string[] }> {
  const limits = options.limits ?? LIMITS;
  const asked: ArchiveFound[] = [];
  const unread: string[] = [];
  let budget = limits.budget;
  // Smallest directories first: the budget then covers as many archives as it can.
  const bySize = [...archives].sort((a, b) => a.end.directorySize - b.end.directorySize);
  for (const archive of bySize) {
    const length = Math.min(archive.end.directorySize, limits.directory);
    if (asked.length >= limits.archives || length > budget) {
      unread.push(archive.path);
      continue;
    }
    budget -= length;
    asked.push(archive);
  }
  const directories = await readRanges(
    remote,
    asked.map((a) => ({
      file: a.path,
      offset: a.end.directoryOffset,
      length: Math.min(a.end.directorySize, limits.directory),
    })),
    options,
  );
  const native: NativeFile[] = [];
  const pending: PendingMember[] = [];
  asked.forEach((archive, i) => {
    if (archive.end.directorySize > limits.directory) unread.push(archive.path);
    const members = nativeMembers(archive.path, directories.get(i) ?? Buffer.alloc(0));
    native.push(...members.known);
    pending.push(...members.pending);
  });
  if (pending.length === 0) return { native, unread };
  const read = pending.slice(0, limits.members);
  const heads = await readRanges(
    remote,
    read.map((m) => ({
      file: m.archive,
      offset: m.entry.localHeaderOffset,
      length: memberReadLength(m.entry, ELF_HEADER_BYTES),
    })),
    options,
  );
  // Members past the limit keep the machine their name hints at.
  pending.forEach((member, i) => {
    const bytes = heads.get(i);
    native.push(memberNative(member, bytes && memberHead(bytes, ELF_HEADER_BYTES)));
    if (i >= limits.members) unread.push(member.archive);
  });
  return { native, unread };
}
