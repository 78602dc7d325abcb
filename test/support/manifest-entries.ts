/** Manifest entries for unit tests: a regular file with every field set, overridable. */
import type { ManifestEntry } from "../../src/manifest/model.ts";

export function file(path: string, extra: Partial<ManifestEntry> = {}): ManifestEntry {
  return {
    path,
    type: "file",
    size: 10,
    mode: 0o644,
    uid: 0,
    gid: 0,
    mtime: "2026-12-01T00:00:00.000Z",
    hash: `h-${path}`,
    nlink: 1,
    dev: "801",
    ino: `i-${path}`,
    ctime: "2026-12-01T00:00:00.000Z",
    ...extra,
  };
}
