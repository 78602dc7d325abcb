/** Pure parser for `df -P` output, and which file system holds a path. */
export interface FilesystemFacts {
  device: string;
  mount: string;
  sizeBytes: number;
  usedBytes: number;
  freeBytes: number;
}

/**
 * POSIX df: `Filesystem blocks Used Available Capacity Mounted-on`. The mount point is the
 * rest of the line after the capacity column, so mount points with spaces survive.
 */
export function parseDf(text: string, blockSize: number): FilesystemFacts[] {
  const filesystems: FilesystemFacts[] = [];
  for (const line of text.split("\n").slice(1)) {
    const match = /^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+%|-)\s+(\/.*)$/.exec(line.trim());
    if (!match) continue;
    filesystems.push({
      device: match[1]!,
      sizeBytes: Number(match[2]) * blockSize,
      usedBytes: Number(match[3]) * blockSize,
      freeBytes: Number(match[4]) * blockSize,
      mount: match[6]!,
    });
  }
  return filesystems;
}

/** The file system whose mount point is the longest prefix of `path` (the path need not exist). */
export function filesystemFor(
  path: string,
  filesystems: readonly FilesystemFacts[],
): FilesystemFacts | undefined {
  let best: FilesystemFacts | undefined;
  for (const fs of filesystems) {
    const mount = fs.mount.endsWith("/") ? fs.mount : `${fs.mount}/`;
    const inside = path === fs.mount || `${path}/`.startsWith(mount);
    if (inside && (!best || fs.mount.length > best.mount.length)) best = fs;
  }
  return best;
}
