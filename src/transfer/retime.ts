/**
 * Hand copies that lost sub-second mtimes (`cp -r`, GNU tar's default format, a FAT disk, rsync
 * without -t precision) hold the right bytes with a coarser time. Such a file is only a candidate
 * for the digest check; once its digest matched on the target, its mtime is set to the
 * manifest's there (instead of sending it whole) and listed again to confirm.
 */

import { collectManifest } from "../manifest/collect.ts";
import type { ManifestEntry } from "../manifest/model.ts";
import { nulList } from "../manifest/script.ts";
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";

/** FAT keeps mtimes in two-second steps; other coarse copies truncate to the second. */
const COARSEST_SECONDS = 2;

/**
 * How a target's mtime relates to the manifest's: `exact`; `coarse` when the target's is whole
 * seconds within the coarsest precision a copy keeps (the digest then decides); else `none`.
 */
export function mtimeMatch(manifest: string, target: string): "exact" | "coarse" | "none" {
  if (manifest === target) return "exact";
  const [seconds = "", fraction = ""] = target.split(".");
  if (!/^\d+$/.test(seconds) || !/^0*$/.test(fraction)) return "none";
  const apart = Math.abs(Number(manifest) - Number(seconds));
  return apart < COARSEST_SECONDS ? "coarse" : "none";
}

/** Set each entry's manifest mtime on the target; the paths whose mtime is now exactly it. */
export async function restoreMtimes(
  target: Remote,
  entries: readonly ManifestEntry[],
  signal: AbortSignal,
  timeoutMs: number,
): Promise<Set<string>> {
  // One argument per file, `<mtime><path>` (a path starts with "/", an mtime holds none), so a
  // split of xargs' argument list never separates a time from its path.
  const args = entries.map((entry) => `${entry.mtime}${entry.path}`);
  await target.run(
    sh`xargs -0 -r sh -c 'for a; do touch -h -m -d "@\${a%%/*}" -- "/\${a#*/}"; done' retime`,
    { stdin: nulList(args), signal, timeoutMs },
  );
  const now = await collectManifest(
    target,
    entries.map((entry) => entry.path),
    { mode: "list", hash: "none", signal, timeoutMs },
  );
  const wanted = new Map(entries.map((entry) => [entry.path, entry.mtime]));
  return new Set(now.filter((entry) => wanted.get(entry.path) === entry.mtime).map((entry) => entry.path));
}
