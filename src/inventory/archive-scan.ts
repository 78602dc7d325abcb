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

/** Bounds on what is read: directory bytes per archive, archives and members per host. */
export const DIRECTORY_LIMIT = 262_144;
export const ARCHIVE_LIMIT = 2000;
export const MEMBER_LIMIT = 500;

export interface ArchiveScanOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

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

/** Native members of the archives, with their machine; `truncated` when a limit was reached. */
export async function scanArchives(
  remote: Remote,
  archives: readonly ArchiveFound[],
  options: ArchiveScanOptions,
): Promise<{ native: NativeFile[]; truncated: boolean }> {
  const asked = archives.slice(0, ARCHIVE_LIMIT);
  let truncated = asked.length < archives.length;
  const directories = await readRanges(
    remote,
    asked.map((a) => ({
      file: a.path,
      offset: a.end.directoryOffset,
      length: Math.min(a.end.directorySize, DIRECTORY_LIMIT),
    })),
    options,
  );
  const native: NativeFile[] = [];
  const pending: PendingMember[] = [];
  asked.forEach((archive, i) => {
    truncated ||= archive.end.directorySize > DIRECTORY_LIMIT;
    const members = nativeMembers(archive.path, directories.get(i) ?? Buffer.alloc(0));
    native.push(...members.known);
    pending.push(...members.pending);
  });
  if (pending.length === 0) return { native, truncated };
  const read = pending.slice(0, MEMBER_LIMIT);
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
  });
  return { native, truncated };
}
