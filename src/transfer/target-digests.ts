/**
 * Digests of files on the target, computed there, for the in-place check. OpenSSL hashes many
 * files per process (`xargs openssl dgst`), several processes side by side, which is several
 * times faster than the manifest script's `sha256sum` on small files and uses every core the
 * target has; it is the same digest (SHA-256 or SM3), so it compares with the manifest's.
 * Names OpenSSL would escape in its output (a newline or a backslash) and targets without
 * OpenSSL go through the manifest script instead.
 */

import { collectManifest } from "../manifest/collect.ts";
import type { HashAlgorithm, ManifestEntry } from "../manifest/model.ts";
import { nulList } from "../manifest/script.ts";
import { checkResult } from "../remote/check-result.ts";
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";

/** Files per OpenSSL command: bounds the output kept in memory (~100 bytes a line). */
const FILES_PER_COMMAND = 20_000;
/** Exit status when `openssl` is not installed on the target. */
const NO_OPENSSL = 127;

export interface DigestOptions {
  hash: HashAlgorithm;
  signal: AbortSignal;
  timeoutMs: number;
  /** Hashing processes at once. */
  width: number;
}

const HEX_DIGEST = /^[0-9a-f]{64}$/;

/** `<hex> *<path>` lines as `openssl dgst -r` prints them; a line it escaped is not expected here. */
export function parseDigestLines(output: string): Map<string, string> {
  const digests = new Map<string, string>();
  // Read by position, not by one regex over the whole line: a check parses 100,000 lines.
  for (let start = 0; start < output.length; ) {
    const newline = output.indexOf("\n", start);
    const end = newline === -1 ? output.length : newline;
    if (end - start > 66 && output.startsWith(" *", start + 64)) {
      const digest = output.slice(start, start + 64);
      if (HEX_DIGEST.test(digest)) digests.set(output.slice(start + 66, end), digest);
    }
    start = end + 1;
  }
  return digests;
}

/** Split paths into `parts` groups of about equal bytes (largest first, each to the lightest group). */
export function balance(files: readonly ManifestEntry[], parts: number): string[][] {
  const groups = Array.from({ length: Math.max(1, parts) }, () => ({ bytes: 0, paths: [] as string[] }));
  for (const file of [...files].sort((a, b) => b.size - a.size)) {
    const lightest = groups.reduce((min, group) => (group.bytes < min.bytes ? group : min));
    lightest.paths.push(file.path);
    lightest.bytes += file.size;
  }
  return groups.map((group) => group.paths).filter((paths) => paths.length > 0);
}

async function opensslDigests(
  target: Remote,
  paths: readonly string[],
  options: DigestOptions,
): Promise<Map<string, string> | undefined> {
  const digests = new Map<string, string>();
  for (let start = 0; start < paths.length; start += FILES_PER_COMMAND) {
    const slice = paths.slice(start, start + FILES_PER_COMMAND);
    const result = await target.run(
      sh`command -v openssl >/dev/null 2>&1 || exit ${NO_OPENSSL}; xargs -0 -r openssl dgst ${`-${options.hash}`} -r`,
      {
        stdin: nulList(slice),
        signal: options.signal,
        timeoutMs: options.timeoutMs,
        maxBuffer: 64 * 1024 + slice.reduce((sum, path) => sum + Buffer.byteLength(path) + 80, 0),
      },
    );
    if (result.exitCode === NO_OPENSSL) return undefined;
    // 123: some file could not be read (it vanished); it simply gets no digest and is sent.
    if (result.exitCode !== 123) checkResult(result, { what: "hashing files on the target" });
    for (const [path, digest] of parseDigestLines(result.stdout)) digests.set(path, digest);
  }
  return digests;
}

/** Digest by path of the listed target files; a file that could not be hashed is absent. */
export async function targetDigests(
  target: Remote,
  files: readonly ManifestEntry[],
  options: DigestOptions,
): Promise<Map<string, string>> {
  const plain = files.filter((file) => !/[\n\\]/.test(file.path));
  const odd = files.filter((file) => /[\n\\]/.test(file.path));
  const parts = await Promise.all(
    balance(plain, options.width).map((paths) => opensslDigests(target, paths, options)),
  );
  const digests = new Map<string, string>();
  // Without OpenSSL on the target (every part says so alike), the manifest script hashes all.
  const withoutOpenssl = parts.some((part) => part === undefined);
  const fallback = withoutOpenssl ? files : odd;
  if (!withoutOpenssl)
    for (const part of parts) for (const [path, digest] of part ?? []) digests.set(path, digest);
  if (fallback.length > 0) {
    const listed = await collectManifest(
      target,
      fallback.map((file) => file.path),
      { mode: "list", hash: options.hash, signal: options.signal, timeoutMs: options.timeoutMs },
    );
    for (const entry of listed) if (entry.hash !== undefined) digests.set(entry.path, entry.hash);
  }
  return digests;
}
