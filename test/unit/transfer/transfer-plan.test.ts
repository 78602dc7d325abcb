import { describe, expect, it } from "vitest";
import type { ManifestEntry } from "../../../src/manifest/model.ts";
import { manifestDigest, mismatchedPaths } from "../../../src/manifest/model.ts";
import { planBatches } from "../../../src/transfer/batches.ts";
import { insideRoots } from "../../../src/transfer/delta.ts";
import { carry, delta } from "../../support/delta.ts";
import { file } from "../../support/manifest-entries.ts";

function dir(path: string): ManifestEntry {
  return { ...file(path), type: "dir", size: 4096, hash: undefined } as ManifestEntry;
}

describe("batches", () => {
  it("cuts by bytes and by count, keeps hard-link groups whole and sends directories last", async () => {
    const entries = [
      dir("/a"),
      file("/a/1", { size: 60 }),
      file("/a/2", { size: 60, nlink: 2, ino: "x" }),
      file("/a/3", { size: 10 }),
      file("/a/4", { size: 60, nlink: 2, ino: "x" }),
      file("/a/5", { size: 10 }),
    ];
    const batches = planBatches(entries, { maxBytes: 100, maxFiles: 3 });
    expect(batches.map((batch) => batch.map((e) => e.path))).toEqual([
      ["/a/1"],
      ["/a/2", "/a/4", "/a/3"],
      ["/a/5"],
      ["/a"],
    ]);
  });
});

describe("manifest comparison", () => {
  it("sees a broken hard link even when every file's content is right", async () => {
    const linked = [file("/a", { nlink: 2, ino: "x" }), file("/b", { nlink: 2, ino: "x", hash: "h-/a" })];
    const copied = [file("/a", { nlink: 1, ino: "p" }), file("/b", { nlink: 1, ino: "q", hash: "h-/a" })];
    expect(mismatchedPaths(linked, copied)).toEqual(["/a", "/b"]);
    expect(manifestDigest({ hash: "sha256", roots: [], entries: linked })).not.toBe(
      manifestDigest({ hash: "sha256", roots: [], entries: copied }),
    );
  });

  it("ignores a link to a file outside the listed paths and directory sizes", async () => {
    const source = [file("/a", { nlink: 2, ino: "x" }), dir("/d")];
    const target = [file("/a", { nlink: 1, ino: "y" }), { ...dir("/d"), size: 12288 }];
    expect(mismatchedPaths(source, target)).toEqual([]);
  });
});

describe("final delta", () => {
  it("reuses snapshot hashes for files unchanged by size, mtime, ctime and inode", async () => {
    const snapshot = [file("/s/same"), file("/s/touched")];
    const listing = [
      { ...file("/s/same"), hash: undefined },
      { ...file("/s/touched", { ctime: "2.0000000000" }), hash: undefined },
      { ...file("/s/new"), hash: undefined },
    ];
    const carried = await carry(snapshot, listing);
    expect(carried.needHash).toEqual(["/s/new", "/s/touched"]);
    expect(carried.entries.find((entry) => entry.path === "/s/same")?.hash).toBe("h-/s/same");
  });

  it("sends what changed or is missing, deletes what vanished, and leaves rewritten files alone", async () => {
    const snapshot = [dir("/s"), file("/s/same"), file("/s/changed"), file("/s/gone"), file("/s/app.conf")];
    const final = [
      dir("/s"),
      file("/s/same"),
      file("/s/changed", { hash: "new" }),
      file("/s/added"),
      file("/s/app.conf"),
    ];
    const target = [
      dir("/s"),
      file("/s/same"),
      file("/s/changed"),
      file("/s/gone"),
      file("/s/app.conf", { size: 12, mtime: "9.0" }),
      file("/s/stray"),
    ];
    const plan = await delta(final, snapshot, target, new Set(["/s/app.conf"]));
    expect(plan.send.map((e) => e.path)).toEqual(["/s", "/s/added", "/s/changed"]);
    expect(plan.remove.sort()).toEqual(["/s/gone", "/s/stray"]);
    expect(plan.rewriteAgain).toEqual([]);
  });

  it("sends a rewritten file again when the source changed it, and asks for the rewrite again", async () => {
    const snapshot = [file("/s/app.conf")];
    const final = [file("/s/app.conf", { hash: "edited" })];
    const plan = await delta(
      final,
      snapshot,
      [file("/s/app.conf", { hash: undefined })],
      new Set(["/s/app.conf"]),
    );
    expect(plan.rewriteAgain).toEqual(["/s/app.conf"]);
  });

  it("sends a whole hard-link group when one member changed, and replaces a path whose type changed", async () => {
    const snapshot = [file("/s/a", { nlink: 2, ino: "x" }), file("/s/b", { nlink: 2, ino: "x" })];
    const final = [file("/s/a", { nlink: 2, ino: "x", hash: "n" }), file("/s/b", { nlink: 2, ino: "x" })];
    const plan = await delta(final, snapshot, [file("/s/a"), dir("/s/b")], new Set());
    expect(plan.send.map((e) => e.path)).toEqual(["/s/a", "/s/b"]);
    expect(plan.remove).toEqual(["/s/b"]);
  });

  it("only ever deletes inside the workload's paths", async () => {
    expect(insideRoots("/srv/portal/x", ["/srv/portal"])).toBe(true);
    expect(insideRoots("/srv/portal", ["/srv/portal"])).toBe(true);
    expect(insideRoots("/srv/portal-old/x", ["/srv/portal"])).toBe(false);
  });
});
