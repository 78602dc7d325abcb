/**
 * What makes two trees equal: the canonical line of an entry (host-specific fields left out),
 * hard-link groups by first path, the digest (order-independent), mismatches, totals, and the
 * JSONL form a manifest is saved in.
 */
import { describe, expect, it } from "vitest";
import {
  canonicalLine,
  canonicalLines,
  fromJsonl,
  linkGroups,
  type ManifestEntry,
  manifestDigest,
  mismatchedPaths,
  sortEntries,
  toJsonl,
  totalBytes,
} from "../../../src/manifest/model.ts";
import { file } from "../../support/manifest-entries.ts";

describe("canonical line", () => {
  it("holds path, type, size, mode, owner, mtime, link target, hash and link group", () => {
    expect(canonicalLine(file("/a"))).toBe(
      JSON.stringify(["/a", "file", 10, 0o644, 0, 0, "2026-12-01T00:00:00.000Z", "", "h-/a", ""]),
    );
    expect(canonicalLine(file("/l", { type: "symlink", target: "/a", hash: undefined }), "/g")).toBe(
      JSON.stringify(["/l", "symlink", 10, 0o644, 0, 0, "2026-12-01T00:00:00.000Z", "/a", "", "/g"]),
    );
  });

  it("leaves out what differs between hosts by nature: directory size, link count, device, inode, ctime", () => {
    const here = file("/d", { type: "dir", size: 4096, hash: undefined });
    const there = {
      ...here,
      size: 8192,
      nlink: 7,
      dev: "900",
      ino: "other",
      ctime: "2020-01-01T00:00:00.000Z",
    };
    expect(canonicalLine(there)).toBe(canonicalLine(here));
    expect(canonicalLine(file("/a", { size: 11 }))).not.toBe(canonicalLine(file("/a")));
  });
});

describe("hard-link groups", () => {
  it("names every member of a group by its first path, and ignores single links and lone members", () => {
    const entries = [
      file("/z", { nlink: 2, ino: "A" }),
      file("/b", { nlink: 2, ino: "A" }),
      file("/m", { nlink: 3, ino: "A" }),
      // Its partner lies outside the listed paths: not a group here.
      file("/lone", { nlink: 2, ino: "L" }),
      // Same inode, one link each: not linked.
      file("/s1", { ino: "S" }),
      file("/s2", { ino: "S" }),
      // Same inode number on another device: another file.
      file("/other-dev", { nlink: 2, ino: "A", dev: "802" }),
      file("/dir", { type: "dir", nlink: 2, ino: "D" }),
      file("/dir2", { type: "dir", nlink: 2, ino: "D" }),
    ];
    expect(linkGroups(entries)).toEqual(
      new Map([
        ["/z", "/b"],
        ["/b", "/b"],
        ["/m", "/b"],
      ]),
    );
  });
});

describe("digest and comparison", () => {
  const tree = [file("/a"), file("/a/b"), file("/c", { type: "dir", hash: undefined })];

  it("is the same whatever the listing order, and says which hash algorithm the tree used", () => {
    const digest = manifestDigest({ hash: "sha256", roots: ["/"], entries: tree });
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(manifestDigest({ hash: "sha256", roots: ["/"], entries: [...tree].reverse() })).toBe(digest);
    expect(manifestDigest({ hash: "sm3", roots: ["/"], entries: tree })).not.toBe(digest);
  });

  it("changes with any entry's canonical line, and with an entry added or moved", () => {
    const digest = manifestDigest({ hash: "sha256", roots: ["/"], entries: tree });
    const variants = [
      [file("/a", { mode: 0o600 }), ...tree.slice(1)],
      [...tree, file("/d")],
      tree.slice(1),
      [file("/a"), file("/a/b", { path: "/a/bb" }), tree[2]!],
    ];
    const digests = variants.map((entries) => manifestDigest({ hash: "sha256", roots: ["/"], entries }));
    expect(new Set([digest, ...digests]).size).toBe(variants.length + 1);
  });

  it("separates entries, so two lines cannot run together into the same bytes", () => {
    const one = manifestDigest({ hash: "sha256", roots: ["/"], entries: [file("/a")] });
    const two = manifestDigest({ hash: "sha256", roots: ["/"], entries: [file("/a"), file("/b")] });
    expect(one).not.toBe(two);
  });

  it("lists the expected paths that are missing or differ on the actual side", () => {
    const actual = [file("/a"), file("/a/b", { uid: 1 }), file("/extra")];
    expect(mismatchedPaths(tree, actual)).toEqual(["/a/b", "/c"]);
    expect(mismatchedPaths(tree, tree)).toEqual([]);
  });

  it("finds a path differing exactly where its canonical lines differ", () => {
    const base = file("/f", { xattrs: "user.a=1" });
    const variants = [
      base,
      { ...base, size: 11 },
      { ...base, mode: 0o600 },
      { ...base, uid: 1 },
      { ...base, gid: 1 },
      { ...base, mtime: "2026-12-01T00:00:00.001Z" },
      { ...base, hash: "other" },
      { ...base, hash: undefined },
      { ...base, type: "symlink" as const, target: "/a" },
      { ...base, xattrs: undefined },
      { ...base, xattrs: "user.a=2" },
      { ...base, ino: "99", dev: "7", ctime: "other", nlink: 1 },
      { ...base, nlink: 2 },
    ];
    // A second name of the same inode, so link groups enter the comparison too.
    const twin = (entry: ManifestEntry) => [entry, { ...entry, path: "/g" }];
    for (const left of variants)
      for (const right of variants) {
        const [expected, actual] = [twin(left), twin(right)];
        const lines = canonicalLines(actual);
        const byLines = [...canonicalLines(expected)].filter(([path, line]) => lines.get(path) !== line);
        expect(mismatchedPaths(expected, actual)).toEqual(byLines.map(([path]) => path));
      }
  });

  it("counts the bytes of files only", () => {
    expect(
      totalBytes([file("/a", { size: 5 }), file("/d", { type: "dir", size: 4096 }), file("/b", { size: 7 })]),
    ).toBe(12);
    expect(totalBytes([])).toBe(0);
  });

  it("sorts by path in code point order without changing its input", () => {
    const input = [file("/b"), file("/a/z"), file("/a")];
    expect(sortEntries(input).map((e) => e.path)).toEqual(["/a", "/a/z", "/b"]);
    expect(input.map((e) => e.path)).toEqual(["/b", "/a/z", "/a"]);
  });
});

describe("JSONL form", () => {
  it("writes a header, then the entries sorted, in chunks of whole lines, and reads back the same", () => {
    const entries = [file("/c"), file("/a"), file("/b"), file("/d"), file("/e")];
    const manifest = { hash: "sm3" as const, roots: ["/srv"], entries };
    const chunks = [...toJsonl(manifest, 2)];
    expect(chunks).toHaveLength(4);
    expect(chunks[0]).toBe('{"hash":"sm3","roots":["/srv"]}\n');
    expect(chunks.slice(1).map((chunk) => chunk.split("\n").length - 1)).toEqual([2, 2, 1]);
    const back = fromJsonl(chunks.join(""));
    expect(back).toEqual({ hash: "sm3", roots: ["/srv"], entries: sortEntries(entries) });
    expect([...toJsonl({ ...manifest, entries: [] })]).toEqual(['{"hash":"sm3","roots":["/srv"]}\n']);
  });
});
