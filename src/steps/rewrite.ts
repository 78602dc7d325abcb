/**
 * The plan's rewrites on the target: literal byte replacements (config files may be GBK as
 * easily as UTF-8, so bytes are never decoded). The original is kept beside the workload's
 * scratch directory for undo; the new content replaces the file atomically (temp file + rename)
 * with the old owner and mode, and the directory's mtime is restored so the tree still matches
 * the source everywhere except the rewritten file itself.
 */
import { createHash } from "node:crypto";
import { RemoteError } from "../errors.ts";
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import { QUICK_MS } from "./support.ts";
import { readRemoteFile } from "./traffic/proxy.ts";

export interface RewriteRecord {
  file: string;
  /** sha256 of the content before and after; equal when nothing matched. */
  before: string;
  after: string;
  replacements: number;
  /** Copy of the original content on the target, for undo. */
  backup: string;
}

export function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Replace every occurrence of each key, in order, as bytes (pure). */
export function replaceAll(
  content: Buffer,
  replace: Record<string, string>,
): { content: Buffer; count: number } {
  let current = content;
  let count = 0;
  for (const [from, to] of Object.entries(replace)) {
    const needle = Buffer.from(from);
    const parts: Buffer[] = [];
    let start = 0;
    for (let index = current.indexOf(needle, start); index !== -1; index = current.indexOf(needle, start)) {
      parts.push(current.subarray(start, index), Buffer.from(to));
      start = index + needle.length;
      count++;
    }
    if (start === 0) continue;
    parts.push(current.subarray(start));
    current = Buffer.concat(parts);
  }
  return { content: current, count };
}

const WRITE = `
set -u
file=$1
dir=$(dirname -- "$file")
ref=$(mktemp) || exit 1
tmp=$(mktemp "$file.migrate-XXXXXX") || exit 1
trap 'rm -f "$ref" "$tmp"' EXIT
touch -r "$dir" "$ref"
cat > "$tmp" || exit 1
chown --reference="$file" "$tmp" && chmod --reference="$file" "$tmp" || exit 1
mv -f -- "$tmp" "$file" || exit 1
touch -m -r "$ref" "$dir"
`;

/** Replace a file's content atomically, keeping owner, mode and the directory's mtime. */
export async function writeRemoteFile(
  remote: Remote,
  file: string,
  content: Buffer,
  signal: AbortSignal,
): Promise<void> {
  await remote.check(sh`sh -c ${WRITE} write-file ${file}`, { stdin: content, signal, timeoutMs: QUICK_MS });
}

/**
 * Apply one file's replacements. Idempotent: a backup is used only while the file on the target
 * is exactly what that backup rewrites to (this run, or an attempt of it, already rewrote it);
 * any other content is a fresh original — e.g. the new config a later run after a rollback
 * brought over — and is backed up anew, so a stale backup can never be written back. `fromCurrent`
 * (cutover, after the source changed the file) starts again from what is there.
 */
export async function rewriteFile(
  remote: Remote,
  file: string,
  replace: Record<string, string>,
  backupDir: string,
  signal: AbortSignal,
  fromCurrent = false,
): Promise<RewriteRecord> {
  const backup = `${backupDir}/${createHash("sha256").update(file).digest("hex").slice(0, 16)}.orig`;
  const current = await readRemoteFile(remote, file, signal);
  const backedUp = fromCurrent ? undefined : await readIfExists(remote, backup, signal);
  const saved =
    backedUp && sha256(replaceAll(backedUp, replace).content) === sha256(current) ? backedUp : undefined;
  const original = saved ?? current;
  const before = sha256(original);
  const { content, count } = replaceAll(original, replace);
  const after = sha256(content);
  const record = { file, before, after, replacements: count, backup };
  if (sha256(current) === after) return record;
  if (!saved) {
    // Overwrites a backup a rolled-back run left: what is here now is the original.
    await remote.check(sh`mkdir -p -m 700 ${backupDir} && cp -p -- ${file} ${backup}`, {
      signal,
      timeoutMs: QUICK_MS,
    });
  }
  await writeRemoteFile(remote, file, content, signal);
  const check = await remote.check(sh`sha256sum -- ${file}`, { signal, timeoutMs: QUICK_MS });
  if (!check.stdout.startsWith(after)) {
    throw new RemoteError("remote", `rewrite of ${file} on ${remote.host} did not stick`, {
      host: remote.host,
      command: "sha256sum",
      exitCode: 0,
    });
  }
  return record;
}

async function readIfExists(remote: Remote, file: string, signal: AbortSignal): Promise<Buffer | undefined> {
  const result = await remote.run(sh`test -f ${file} && base64 -w0 -- ${file}`, {
    signal,
    timeoutMs: QUICK_MS,
  });
  return result.exitCode === 0 ? Buffer.from(result.stdout.trim(), "base64") : undefined;
}

/** Put the original back if the file still holds what the rewrite wrote. */
export async function undoRewrite(
  remote: Remote,
  record: RewriteRecord,
  signal: AbortSignal,
): Promise<boolean> {
  if (record.before === record.after) return false;
  const current = sha256(await readRemoteFile(remote, record.file, signal));
  if (current !== record.after) return false;
  const original = await readRemoteFile(remote, record.backup, signal);
  if (sha256(original) !== record.before) return false;
  await writeRemoteFile(remote, record.file, original, signal);
  return true;
}
