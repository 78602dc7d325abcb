/**
 * The final delta sync's decisions: which hashes carry over from the snapshot, what is sent,
 * what is deleted on the target, which rewritten files are sent and rewritten again, and that
 * a hard-link group travels whole.
 */
import { describe, expect, it } from "vitest";
import type { ManifestEntry } from "../../../src/manifest/model.ts";
import { linkGroupsOf } from "../../../src/manifest/store.ts";
import { type ExactTarget, insideRoots, unchanged } from "../../../src/transfer/delta.ts";
import { carry, delta } from "../../support/delta.ts";
import { file } from "../../support/manifest-entries.ts";

const dir = (path: string, extra: Partial<ManifestEntry> = {}) =>
  file(path, { type: "dir", size: 4096, mode: 0o755, hash: undefined, ...extra });
const link = (path: string, target: string) =>
  file(path, { type: "symlink", target, hash: undefined, mode: 0o777 });
const unhashed = (entry: ManifestEntry) => {
  const { hash: _hash, ...rest } = entry;
  return rest as ManifestEntry;
};

describe("carrying snapshot hashes", () => {
  it("keeps the hash of a file whose size, mtime, ctime, inode and device are unchanged", async () => {
    const before = [file("/a"), dir("/d"), link("/l", "/a")];
    const listing = before.map(unhashed);
    const carried = await carry(before, listing);
    expect(carried.needHash).toEqual([]);
    expect(carried.entries).toEqual([file("/a"), unhashed(dir("/d")), unhashed(link("/l", "/a"))]);
  });

  it("hashes again a file if any of the quick-check fields moved, or it is new or had no hash", async () => {
    const before = [
      file("/size"),
      file("/mtime"),
      file("/ctime"),
      file("/ino"),
      file("/dev"),
      file("/nohash", { hash: undefined }),
      dir("/was-dir"),
    ];
    const listing = [
      file("/size", { size: 11 }),
      file("/mtime", { mtime: "2026-12-02T00:00:00.000Z" }),
      file("/ctime", { ctime: "2026-12-02T00:00:00.000Z" }),
      file("/ino", { ino: "other" }),
      file("/dev", { dev: "802" }),
      file("/nohash"),
      file("/was-dir", { ino: "i-/was-dir", size: 4096, mode: 0o755 }),
      file("/new"),
    ].map(unhashed);
    const carried = await carry(before, listing);
    // In path order: the listing streams sorted.
    expect(carried.needHash).toEqual([
      "/ctime",
      "/dev",
      "/ino",
      "/mtime",
      "/new",
      "/nohash",
      "/size",
      "/was-dir",
    ]);
    expect(carried.entries.every((entry) => entry.hash === undefined)).toBe(true);
  });
});

describe("the quick check's ctime", () => {
  it("hashes again a same-size edit whose mtime was set back (touch -r, tar, rsync -t): only the ctime tells", async () => {
    const before = [file("/srv/app/config.php", { ctime: "1700000000.1000000000" })];
    // The same size, mtime, inode and device: an edit followed by `touch -r` of the old file.
    const edited = [unhashed(file("/srv/app/config.php", { ctime: "1700000900.2000000000" }))];
    const carried = await carry(before, edited);
    expect(carried.needHash).toEqual(["/srv/app/config.php"]);
    expect(carried.entries[0]?.hash).toBeUndefined();
    expect(unchanged(before[0]!, edited[0]!)).toBe(false);
  });
});

describe("planning the delta", () => {
  const none = new Set<string>();

  it("sends nothing but directories when source and target agree with the snapshot", async () => {
    const tree = [dir("/d"), file("/d/a"), link("/d/l", "a")];
    const plan = await delta(tree, tree, tree, none);
    expect(plan).toEqual({ send: [dir("/d")], remove: [], rewriteAgain: [] });
  });

  it("sends a file whose content changed at the source, and one whose target copy differs in any metadata", async () => {
    const snapshot = [
      file("/c"),
      file("/m"),
      file("/u"),
      file("/g"),
      file("/t"),
      file("/s"),
      link("/l", "x"),
      file("/same"),
    ];
    const final = [file("/c", { hash: "new" }), ...snapshot.slice(1)];
    const target = [
      file("/c"),
      file("/m", { mode: 0o600 }),
      file("/u", { uid: 1 }),
      file("/g", { gid: 1 }),
      file("/t", { mtime: "2020-01-01T00:00:00.000Z" }),
      file("/s", { size: 9 }),
      link("/l", "y"),
      file("/same", { ino: "elsewhere", ctime: "2020-01-01T00:00:00.000Z", dev: "9" }),
    ];
    expect((await delta(final, snapshot, target, none)).send.map((e) => e.path)).toEqual([
      "/c",
      "/g",
      "/l",
      "/m",
      "/s",
      "/t",
      "/u",
    ]);
  });

  it("sends what the target lacks and deletes what the source no longer has", async () => {
    const snapshot = [file("/keep"), file("/gone")];
    const final = [file("/keep"), file("/added")];
    const target = [file("/keep"), file("/gone"), file("/stray")];
    expect(await delta(final, snapshot, target, none)).toEqual({
      send: [file("/added")],
      remove: ["/gone", "/stray"],
      rewriteAgain: [],
    });
  });

  it("replaces an entry whose type changed: deleted first, then sent", async () => {
    const final = [dir("/was-file"), file("/was-dir"), link("/was-link", "x")];
    const target = [file("/was-file"), dir("/was-dir"), file("/was-link")];
    const plan = await delta(final, final, target, none);
    expect(plan.remove).toEqual(["/was-dir", "/was-file", "/was-link"]);
    expect(plan.send.map((e) => e.path)).toEqual(["/was-dir", "/was-file", "/was-link"]);
  });

  it("replaces a file that became a fifo even when size, mode and times agree", async () => {
    const fifo = file("/p", { type: "fifo", size: 0, hash: undefined });
    const plain = file("/p", { size: 0, hash: undefined });
    expect(await delta([fifo], [fifo], [plain], none)).toEqual({
      send: [fifo],
      remove: ["/p"],
      rewriteAgain: [],
    });
  });

  it("a directory's size never counts as a difference; its other metadata does not stop it being sent", async () => {
    const plan = await delta([dir("/d")], [dir("/d")], [dir("/d", { size: 8192 })], none);
    expect(plan).toEqual({ send: [dir("/d")], remove: [], rewriteAgain: [] });
  });

  it("leaves a rewritten file alone unless the source changed it, then sends it and rewrites it again", async () => {
    const snapshot = [file("/etc/site.conf"), file("/etc/other.conf")];
    const final = [file("/etc/site.conf", { hash: "edited" }), file("/etc/other.conf")];
    // On the target both differ from the source: they were rewritten there.
    const target = [file("/etc/site.conf", { hash: "r", size: 12 }), file("/etc/other.conf", { size: 12 })];
    const plan = await delta(final, snapshot, target, new Set(["/etc/site.conf", "/etc/other.conf"]));
    expect(plan).toEqual({ send: [final[0]], remove: [], rewriteAgain: ["/etc/site.conf"] });
  });

  it("sends a hard-link group whole when one member differs, and no other group", async () => {
    const linked = (path: string, ino: string, extra: Partial<ManifestEntry> = {}) =>
      file(path, { nlink: 2, ino, hash: `h-${ino}`, ...extra });
    const snapshot = [
      linked("/a1", "A"),
      linked("/a2", "A"),
      linked("/b1", "B"),
      linked("/b2", "B"),
      file("/c"),
    ];
    // Unchanged at the source; on the target only /a1 differs (its mode) and /a2 looks current,
    // but tar can link the pair only if both travel.
    const target = [linked("/a1", "A", { mode: 0o600 }), ...snapshot.slice(1)];
    expect((await delta(snapshot, snapshot, target, none)).send.map((e) => e.path)).toEqual(["/a1", "/a2"]);
    expect((await delta(snapshot, snapshot, snapshot, none)).send).toEqual([]);

    // Same inode number on another device is another file.
    const otherDev = [linked("/x1", "X"), linked("/x2", "X", { dev: "900" })];
    const x1Differs = [linked("/x1", "X", { mode: 0o600 }), otherDev[1]!];
    expect((await delta(otherDev, otherDev, x1Differs, none)).send.map((e) => e.path)).toEqual(["/x1"]);
    // A file with a single link is never grouped, even if inode numbers collide.
    const single = [file("/s1", { ino: "S" }), file("/s2", { ino: "S" })];
    const s1Differs = [file("/s1", { ino: "S", mode: 0o600 }), single[1]!];
    expect((await delta(single, single, s1Differs, none)).send.map((e) => e.path)).toEqual(["/s1"]);
    // Nor is a symlink with a link count above one.
    const links = [link("/l1", "t"), link("/l2", "t")].map((entry) => ({ ...entry, nlink: 2, ino: "L" }));
    const l1Differs = [{ ...links[0]!, mode: 0o700 }, links[1]!];
    expect((await delta(links, links, l1Differs, none)).send.map((e) => e.path)).toEqual(["/l1"]);
  });
});

describe("planning against a target whose digests are known (the target listed once)", () => {
  const none = new Set<string>();
  const groups = async (source: ManifestEntry[], target: ManifestEntry[]): Promise<ExactTarget> => ({
    want: await linkGroupsOf(source),
    have: await linkGroupsOf(target),
  });

  it("sends a file whose bytes differ there though its metadata and snapshot hash agree, and one nothing vouched for", async () => {
    const tree = [file("/same"), file("/edited"), file("/unvouched")];
    const target = [
      file("/same"),
      file("/edited", { hash: "other", ctime: "later" }),
      file("/unvouched", { hash: undefined }),
    ];
    // Planned by metadata and the snapshot's hashes, only the tree check after would see them.
    expect((await delta(tree, tree, target, none)).send).toEqual([]);
    const exact = await delta(tree, tree, target, none, await groups(tree, target));
    expect(exact.send.map((entry) => entry.path)).toEqual(["/edited", "/unvouched"]);
  });

  it("sends a hard-link group whose links differ on the target, whatever each member's line", async () => {
    const source = [file("/a", { nlink: 2, ino: "A" }), file("/b", { nlink: 2, ino: "A" }), file("/c")];
    // On the target /b and /c are linked and /a stands alone; each holds the right bytes.
    const target = [file("/a"), file("/b", { nlink: 2, ino: "B" }), file("/c", { nlink: 2, ino: "B" })];
    const exact = await delta(source, source, target, none, await groups(source, target));
    expect(exact.send.map((entry) => entry.path)).toEqual(["/a", "/b", "/c"]);
    expect((await delta(source, source, source, none, await groups(source, source))).send).toEqual([]);
  });

  it("sends and rewrites again a rewritten file the target no longer holds as rewritten", async () => {
    const tree = [file("/etc/kept.conf"), file("/etc/lost.conf")];
    // Both rewritten on the target (other bytes and size); lost.conf's mode changed since.
    const target = [
      file("/etc/kept.conf", { hash: "r", size: 12 }),
      file("/etc/lost.conf", { hash: "r", size: 12, mode: 0o600 }),
    ];
    const rewritten = new Set(["/etc/kept.conf", "/etc/lost.conf"]);
    const plan = await delta(tree, tree, target, rewritten, await groups(tree, target));
    expect(plan).toEqual({ send: [tree[1]], remove: [], rewriteAgain: ["/etc/lost.conf"] });
  });
});

describe("deletion stays inside the roots", () => {
  it("accepts a root and what lies under it, with or without a trailing slash", async () => {
    expect(insideRoots("/srv/app", ["/srv/app"])).toBe(true);
    expect(insideRoots("/srv/app/x/y", ["/srv/app"])).toBe(true);
    expect(insideRoots("/srv/app/x", ["/srv/app/"])).toBe(true);
    expect(insideRoots("/etc/app.conf", ["/srv/app", "/etc/app.conf"])).toBe(true);
  });

  it("refuses siblings that share a prefix, parents, and anything with no roots", async () => {
    expect(insideRoots("/srv/application", ["/srv/app"])).toBe(false);
    expect(insideRoots("/srv", ["/srv/app"])).toBe(false);
    expect(insideRoots("/srv/app", [])).toBe(false);
    expect(insideRoots("/etc/passwd", ["/srv/app", "/etc/app.conf"])).toBe(false);
  });
});
