/**
 * The second, small round trip of the portability scan: the ELF headers of native libraries
 * inside Java archives, at the offsets their central directories gave (parse-scan.ts). Only
 * hosts whose archives name a Linux library pay for it.
 */
import { readFileSync } from "node:fs";
import type { NativeFile } from "../plan/portability-facts.ts";
import { type ShellCommand, sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import { type PendingEntry, parseArchiveEntries } from "./parse-scan.ts";

const SCRIPT = readFileSync(new URL("./archive-entries.sh", import.meta.url), "utf8");

/** Members read per host; an archive full of libraries is judged by its first ones. */
export const ARCHIVE_ENTRY_LIMIT = 500;

/** `sh -c SCRIPT migrate-archive-entries ARCHIVE OFFSET METHOD SIZE ...`, every value quoted. */
export function archiveEntriesCommand(pending: readonly PendingEntry[]): ShellCommand {
  const args = pending.flatMap((e) => [e.archive, e.localHeaderOffset, e.method, e.compressedSize]);
  return sh`sh -c ${SCRIPT} migrate-archive-entries ${args}`;
}

/** Read the members' headers; members beyond the limit or unread keep the machine their name hints. */
export async function readArchiveEntries(
  remote: Remote,
  pending: readonly PendingEntry[],
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<NativeFile[]> {
  if (pending.length === 0) return [];
  const asked = pending.slice(0, ARCHIVE_ENTRY_LIMIT);
  const result = await remote.run(archiveEntriesCommand(asked), {
    timeoutMs: options.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  // A failed read leaves every member to its name's hint rather than failing the inventory.
  const body = result.exitCode === 0 ? result.stdout : "";
  return parseArchiveEntries(body, pending);
}
