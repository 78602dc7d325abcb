/**
 * The final sync's one-pass join decides what planDeltaOf decides for an exact target (the
 * target's listing with digests vouched for by evidence or hashed there), and writes the same
 * final manifest, digest included: on a tree with every kind of difference the sync meets —
 * changed, new, gone, vanished while hashed, type changes, hard links on either side, rewritten
 * files, damaged and unvouched target files, attributes.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  canonicalLine,
  type ManifestEntry,
  manifestDigest,
  sortEntries,
} from "../../../src/manifest/model.ts";
import { readLines } from "../../../src/manifest/sorted-file.ts";
import { digestFile, linkGroupsOf, readEntries, writeManifestFile } from "../../../src/manifest/store.ts";
import { joinTrees, type TreeChange } from "../../../src/steps/final-join.ts";
import { isKept, type Kept, SnapshotLines, snapshotItems } from "../../../src/steps/snapshot-lines.ts";
import { doubtfulOf } from "../../../src/steps/target-kept.ts";
import { carried, planDeltaOf } from "../../../src/transfer/delta.ts";
import { type EvidenceRecord, evidenceOf, vouchedEntries } from "../../../src/transfer/target-evidence.ts";
import { file } from "../../support/manifest-entries.ts";

const unhashed = (entry: ManifestEntry) => {
  const { hash: _hash, ...rest } = entry;
  return rest as ManifestEntry;
};
const dir = (path: string) =>
  file(path, { type: "dir", size: 4096, mode: 0o755, hash: undefined, ino: `i-${path}` });
const symlink = (path: string, target: string) => file(path, { type: "symlink", target, hash: undefined });
const changedStat = { ctime: "2026-12-02T00:00:00.000Z", size: 11 };
const tctime = "1000.5";
/** The target's copy of a source entry: its own identity, the transfer's ctime. */
const onTarget = (entry: ManifestEntry, extra: Partial<ManifestEntry> = {}) =>
  unhashed({ ...entry, dev: "900", ino: `t-${entry.path}`, ctime: tctime, ...extra });

// The snapshot, as the transfer left it on the target too.
const snapshot = sortEntries([
  dir("/r"),
  file("/r/a"),
  file("/r/b"),
  symlink("/r/b-sym", "b"),
  file("/r/changed"),
  file("/r/damaged"),
  file("/r/gone"),
  file("/r/l1", { nlink: 2, ino: "L" }),
  file("/r/l2", { nlink: 2, ino: "L" }),
  file("/r/nolonger-linked", { nlink: 1 }),
  file("/r/rw-same"),
  file("/r/rw-changed"),
  file("/r/to-dir"),
  symlink("/r/sym", "a"),
  file("/r/unvouched"),
  file("/r/vanished"),
  file("/r/xattr"),
  file("/r/z"),
]);
// The frozen source's listing (no hashes): what changed since the snapshot.
const source = sortEntries([
  dir("/r"),
  file("/r/a"),
  file("/r/b"),
  symlink("/r/b-sym", "b"),
  file("/r/changed", changedStat),
  file("/r/damaged"),
  file("/r/l1", { nlink: 2, ino: "L" }),
  file("/r/l2", { nlink: 2, ino: "L" }),
  file("/r/new"),
  file("/r/nolonger-linked", { nlink: 1 }),
  file("/r/rw-same"),
  file("/r/rw-changed", changedStat),
  dir("/r/to-dir"),
  symlink("/r/sym", "b"),
  file("/r/unvouched"),
  file("/r/vanished", changedStat),
  file("/r/xattr", { xattrs: "user.a=0x01" }),
  file("/r/z"),
]).map(unhashed);
// The target: one file damaged behind the transfer's back, one with no evidence, a hard link
// made there, an extra file, the rewritten files as rewritten.
const target = sortEntries([
  onTarget(dir("/r")),
  onTarget(file("/r/a")),
  onTarget(file("/r/b")),
  onTarget(symlink("/r/b-sym", "b")),
  onTarget(file("/r/changed")),
  onTarget(file("/r/damaged")),
  onTarget(file("/r/extra")),
  onTarget(file("/r/gone")),
  onTarget(file("/r/l1", { nlink: 2 }), { ino: "TL" }),
  onTarget(file("/r/l2", { nlink: 2 }), { ino: "TL" }),
  onTarget(file("/r/nolonger-linked", { nlink: 2 }), { ino: "TX" }),
  onTarget(file("/r/rw-same"), { size: 12 }),
  onTarget(file("/r/rw-changed"), { size: 12 }),
  onTarget(file("/r/to-dir")),
  onTarget(symlink("/r/sym", "a")),
  onTarget(file("/r/unvouched")),
  onTarget(file("/r/vanished")),
  onTarget(file("/r/x-extra", { nlink: 2 }), { ino: "TX" }),
  onTarget(file("/r/xattr")),
  onTarget(file("/r/z")),
]);
const rewritten = new Set(["/r/rw-same", "/r/rw-changed"]);
// Evidence: what the transfer hashed there (the damaged file's digest no longer holds).
const evidence: EvidenceRecord[] = evidenceOf(
  target
    .filter((entry) => entry.type === "file" && entry.path !== "/r/unvouched")
    .map((entry) => ({
      ...entry,
      hash: entry.path === "/r/damaged" ? "h-damage" : `h-${entry.path}`,
      ...(entry.path.startsWith("/r/rw-") ? { hash: `after-${entry.path}` } : {}),
    })),
  "tgt-1",
  "sha256",
  "2000",
);
// Hashing: the source's changed files (one vanished meanwhile), the target's unvouched one.
const freshOf = (needHash: readonly string[], listed = source) =>
  new Map(
    listed
      .filter((entry) => needHash.includes(entry.path) && entry.path !== "/r/vanished")
      .map((entry) => [entry.path, { ...entry, hash: `new-${entry.path}` }]),
  );
const targetHashes = new Map([["/r/unvouched", "h-/r/unvouched"]]);

describe("the final sync's plan in one pass", () => {
  const work = mkdtempSync(join(tmpdir(), "final-join-"));
  const [snapshotFile, sourceFile, targetFile] = ["snapshot.jsonl.gz", "source", "target"].map((name) =>
    join(work, name),
  ) as [string, string, string];
  const header = { hash: "sha256" as const, roots: ["/r"] };
  beforeAll(async () => {
    await writeManifestFile(snapshotFile, { ...header, roots: ["/r"] }, snapshot);
    await writeManifestFile(sourceFile, { ...header, roots: ["/r"] }, source, false);
    await writeManifestFile(targetFile, { ...header, roots: ["/r"] }, target, false);
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  /** planDeltaOf's plan and the final manifest, from the same inputs, the way it was planned before. */
  async function reference(listed = source, targetNow = target, hashedNow = new Map<string, string>()) {
    const needHash: string[] = [];
    const pairs = [];
    for await (const pair of carried(snapshot, listed, needHash)) pairs.push(pair);
    const fresh = freshOf(needHash, listed);
    const finalPairs = pairs.flatMap((pair) =>
      pair.entry.type === "file" && pair.entry.hash === undefined
        ? fresh.has(pair.entry.path)
          ? [{ ...pair, entry: fresh.get(pair.entry.path)! }]
          : []
        : [pair],
    );
    const byPath = new Map(evidence.map((record) => [record.path, record.digest]));
    const there = targetNow.map((entry) => {
      const hash =
        entry.type === "file"
          ? (hashedNow.get(entry.path) ?? byPath.get(entry.path) ?? targetHashes.get(entry.path))
          : undefined;
      return hash === undefined ? entry : { ...entry, hash };
    });
    const entries = finalPairs.map((pair) => pair.entry);
    const exact = { want: await linkGroupsOf(entries), have: await linkGroupsOf(there) };
    const streamed = async function* () {
      yield* finalPairs;
    };
    const delta = await planDeltaOf(streamed(), there, rewritten, exact);
    return { delta, digest: manifestDigest({ hash: "sha256", roots: ["/r"], entries }), entries };
  }

  it("plans what planDeltaOf plans and writes the same final manifest", async () => {
    const joined = await joinTrees({
      snapshot: readEntries(snapshotFile),
      sourceListing: sourceFile,
      targetListing: targetFile,
      evidence,
      rewritten,
      workDir: work,
      finalFile: join(work, "final.jsonl.gz"),
      header,
    });
    expect(joined.needHash).toEqual(["/r/changed", "/r/new", "/r/rw-changed", "/r/vanished"]);
    expect(joined.unvouched.map((entry) => entry.path)).toEqual(["/r/unvouched"]);
    const finalFile = join(work, "final.jsonl.gz");
    const { delta, summary } = await joined.finish(freshOf(joined.needHash), targetHashes);
    const want = await reference();
    expect(delta).toEqual(want.delta);
    expect(summary.digest).toBe(want.digest);
    const written = [];
    for await (const entry of readEntries(finalFile)) written.push(entry);
    expect(written).toEqual(want.entries);
    expect(summary).toMatchObject({ entries: want.entries.length, files: 13, bytes: 11 * 10 + 2 * 11 });
    // What the plan holds: the damaged and unvouched-but-equal files told apart, the target's
    // own hard link undone, the extras and the vanished file deleted.
    expect(delta.send.map((entry) => entry.path)).toEqual([
      "/r",
      "/r/changed",
      "/r/damaged",
      "/r/new",
      "/r/nolonger-linked",
      "/r/rw-changed",
      "/r/sym",
      "/r/to-dir",
      "/r/xattr",
    ]);
    expect(delta.remove).toEqual(["/r/extra", "/r/gone", "/r/to-dir", "/r/vanished", "/r/x-extra"]);
    expect(delta.rewriteAgain).toEqual(["/r/rw-changed"]);
    expect((await readdir(work)).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  /**
   * What the source's host sends when it compares with the snapshot's kept listing: every path
   * whose whole record (no digest, no attributes) differs or exists on one side only, and those
   * paths' entries read again with their digests (the vanished file: none).
   */
  function hostChange(listed: ManifestEntry[]): TreeChange {
    const record = (entry: ManifestEntry) => {
      const { hash: _hash, xattrs: _xattrs, ...rest } = entry;
      return JSON.stringify(rest);
    };
    const before = new Map(snapshot.map((entry) => [entry.path, record(entry)]));
    const listedPaths = new Set(listed.map((entry) => entry.path));
    const changed = listed.filter((entry) => before.get(entry.path) !== record(entry));
    const gone = snapshot.filter((entry) => !listedPaths.has(entry.path)).map((entry) => entry.path);
    const fresh = freshOf(
      changed.map((entry) => entry.path),
      listed,
    );
    return {
      differs: new Set([...gone, ...changed.map((entry) => entry.path)]),
      now: changed.flatMap((entry) => (entry.type === "file" ? (fresh.get(entry.path) ?? []) : [entry])),
    };
  }

  it("plans the same from the change its host found as from the whole listing", async () => {
    // On a host, setting an attribute changes the ctime: the record differs, so it is sent.
    const listed = source.map((entry) =>
      entry.path === "/r/xattr" ? { ...entry, ctime: changedStat.ctime } : entry,
    );
    const change = hostChange(listed);
    expect([...change.differs].sort()).toEqual([
      "/r/changed",
      "/r/gone",
      "/r/new",
      "/r/rw-changed",
      "/r/sym",
      "/r/to-dir",
      "/r/vanished",
      "/r/xattr",
    ]);
    const joined = await joinTrees({
      snapshot: readEntries(snapshotFile),
      sourceListing: change,
      targetListing: targetFile,
      evidence,
      rewritten,
      workDir: work,
      finalFile: join(work, "final-diff.jsonl.gz"),
      header,
    });
    expect(joined.needHash).toEqual([]);
    const finalFile = join(work, "final-diff.jsonl.gz");
    const fresh = new Map(change.now.map((entry) => [entry.path, entry]));
    const { delta, summary } = await joined.finish(fresh, targetHashes);
    const want = await reference(listed);
    expect(delta).toEqual(want.delta);
    expect(summary.digest).toBe(want.digest);
    const written = [];
    for await (const entry of readEntries(finalFile)) written.push(entry);
    expect(written).toEqual(want.entries);
    expect(delta.remove).toEqual(["/r/extra", "/r/gone", "/r/to-dir", "/r/vanished", "/r/x-extra"]);
    expect(delta.rewriteAgain).toEqual(["/r/rw-changed"]);
    expect(delta.send.map((entry) => entry.path)).toContain("/r/damaged");
  });

  /** What both hosts found changed: see the test below. */
  async function bothChanges() {
    const listed = source.map((entry) =>
      entry.path === "/r/xattr" ? { ...entry, ctime: changedStat.ctime } : entry,
    );
    // After the reconfigure the target's listing was kept as `target` is; since then, behind
    // the migration's back, a file the evidence vouched for was changed there and one deleted.
    const hashedNow = new Map([["/r/a", "tampered"]]);
    const targetNow = target
      .filter((entry) => entry.path !== "/r/z")
      .map((entry) => (entry.path === "/r/a" ? { ...entry, ctime: "3000.5" } : entry));
    const vouched = [];
    for await (const entry of vouchedEntries(
      target.map((entry) => ({ ...entry })),
      evidence,
      [],
    ))
      vouched.push(entry);
    const doubtful = [];
    for await (const entry of doubtfulOf(snapshot, vouched, rewritten)) doubtful.push(entry.path);
    expect(doubtful).toEqual([
      "/r/damaged",
      "/r/extra",
      "/r/l1",
      "/r/l2",
      "/r/nolonger-linked",
      "/r/rw-changed",
      "/r/rw-same",
      "/r/unvouched",
      "/r/x-extra",
    ]);
    // The target's host compares with the kept listing: only the records of those two differ.
    const kept = new Map(target.map((entry) => [entry.path, JSON.stringify(entry)]));
    const nowPaths = new Set(targetNow.map((entry) => entry.path));
    const differing = [
      ...targetNow
        .filter((entry) => kept.get(entry.path) !== JSON.stringify(entry))
        .map((entry) => entry.path),
      ...target.filter((entry) => !nowPaths.has(entry.path)).map((entry) => entry.path),
    ];
    expect(differing).toEqual(["/r/a", "/r/z"]);
    const byPath = new Map(evidence.map((record) => [record.path, record.digest]));
    const look = new Set([...differing, ...doubtful]);
    const targetChange: TreeChange = {
      differs: look,
      now: targetNow
        .filter((entry) => look.has(entry.path))
        .map((entry) =>
          entry.type === "file"
            ? {
                ...entry,
                hash: hashedNow.get(entry.path) ?? byPath.get(entry.path) ?? targetHashes.get(entry.path)!,
              }
            : entry,
        ),
    };
    return { listed, targetNow, hashedNow, change: hostChange(listed), targetChange };
  }

  it("plans the same from what both hosts found changed as from both whole listings", async () => {
    const { listed, targetNow, hashedNow, change, targetChange } = await bothChanges();
    const joined = await joinTrees({
      snapshot: readEntries(snapshotFile),
      sourceListing: change,
      targetListing: targetChange,
      evidence: [],
      rewritten,
      workDir: work,
      finalFile: join(work, "final-both.jsonl.gz"),
      header,
    });
    expect(joined.needHash).toEqual([]);
    expect(joined.unvouched).toEqual([]);
    const finalFile = join(work, "final-both.jsonl.gz");
    const fresh = new Map(change.now.map((entry) => [entry.path, entry]));
    const { delta, summary } = await joined.finish(fresh, new Map());
    const want = await reference(listed, targetNow, hashedNow);
    expect(delta).toEqual(want.delta);
    expect(summary.digest).toBe(want.digest);
    const written = [];
    for await (const entry of readEntries(finalFile)) written.push(entry);
    expect(written).toEqual(want.entries);
    // The tampered file is sent again; the rest of the plan is the one from whole listings.
    expect(delta.send.map((entry) => entry.path)).toEqual(expect.arrayContaining(["/r/a", "/r/z"]));
    expect(delta.remove).toEqual(["/r/extra", "/r/gone", "/r/to-dir", "/r/vanished", "/r/x-extra"]);
    expect(delta.rewriteAgain).toEqual(["/r/rw-changed"]);
  });

  it("writes the same final manifest, byte for byte, from the snapshot's kept lines", async () => {
    const { change, targetChange } = await bothChanges();
    const plan = async (
      snapshotLines?: SnapshotLines,
      targetListing = targetChange,
      sourceListing = change,
    ) => {
      const finalFile = join(work, `final-${snapshotLines === undefined ? "parsed" : "kept"}.jsonl.gz`);
      const joined = await joinTrees({
        snapshot: readEntries(snapshotFile),
        ...(snapshotLines === undefined ? {} : { snapshotLines }),
        sourceListing,
        targetListing,
        evidence: [],
        rewritten,
        workDir: work,
        finalFile,
        header,
      });
      const fresh = new Map(sourceListing.now.map((entry) => [entry.path, entry]));
      const planned = await joined.finish(fresh, new Map());
      const text = [];
      for await (const line of readLines(finalFile)) text.push(line);
      return { ...planned, text };
    };
    // The snapshot's lines kept as its digest is checked, as the final sync does.
    const lines = new SnapshotLines(join(work, "snapshot-lines.tmp"));
    expect(await digestFile(snapshotFile, lines.add)).toBe(
      manifestDigest({ hash: "sha256", roots: ["/r"], entries: snapshot }),
    );
    await lines.close();
    const rows: Kept[] = [];
    for await (const item of snapshotItems(lines.file, () => false, [])) if (isKept(item)) rows.push(item);
    const keptEntries = rows.flatMap((row) => row.json.split("\n").map((line) => JSON.parse(line)));
    const kept = keptEntries.map((entry: ManifestEntry) => entry.path);
    // Each row carries its entries' canonical lines and totals as a manifest counts them.
    expect(rows.flatMap((row) => row.canonical.split("\n"))).toEqual(
      keptEntries.map((e) => canonicalLine(e)),
    );
    const files = keptEntries.filter((entry: ManifestEntry) => entry.type === "file");
    expect(rows.reduce((sum, row) => sum + row.entries, 0)).toBe(keptEntries.length);
    expect(rows.reduce((sum, row) => sum + row.files, 0)).toBe(files.length);
    expect(rows.reduce((sum, row) => sum + row.bytes, 0)).toBe(files.reduce((sum, e) => sum + e.size, 0));
    expect(Math.max(...rows.map((row) => row.largest))).toBe(Math.max(...files.map((e) => e.size)));
    // The unchanged files and symlinks, in rows between the lines to parse: not the directory,
    // the hard links or a file to hash.
    expect(kept).toEqual(
      snapshot.filter((entry) => entry.type !== "dir" && entry.nlink < 2).map((entry) => entry.path),
    );
    expect(rows).toHaveLength(2);
    const parsed = await plan();
    const copied = await plan(lines);
    expect(copied.delta).toEqual(parsed.delta);
    expect(copied.summary).toEqual(parsed.summary);
    expect(copied.text).toEqual(parsed.text);
    expect(copied.text).toContain(JSON.stringify(snapshot.find((entry) => entry.path === "/r/b")));
    // A rewritten file neither host reports (on the target it is always doubtful) is decided as
    // before: the target holds it as the snapshot, left alone.
    const quiet = {
      differs: new Set([...targetChange.differs].filter((p) => p !== "/r/rw-same")),
      now: targetChange.now.filter((entry) => entry.path !== "/r/rw-same"),
    };
    const [parsedQuiet, copiedQuiet] = [await plan(undefined, quiet), await plan(lines, quiet)];
    expect(parsedQuiet.delta.rewriteAgain).not.toContain("/r/rw-same");
    expect(copiedQuiet.delta).toEqual(parsedQuiet.delta);
    expect(copiedQuiet.text).toEqual(parsedQuiet.text);
    // A file new on the source, then one extra on the target, between two kept lines.
    const added = file("/r/b-new");
    const extra = onTarget(file("/r/b-extra"), { hash: "h-/r/b-extra" });
    const sourceBetween = {
      differs: new Set([...change.differs, added.path]),
      now: sortEntries([...change.now, added]),
    };
    const targetBetween = {
      differs: new Set([...targetChange.differs, extra.path]),
      now: sortEntries([...targetChange.now, extra]),
    };
    for (const [targetListing, sourceListing] of [
      [targetChange, sourceBetween],
      [targetBetween, change],
    ] as const) {
      const parsedBetween = await plan(undefined, targetListing, sourceListing);
      const copiedBetween = await plan(lines, targetListing, sourceListing);
      expect([
        ...parsedBetween.delta.send.map((entry) => entry.path),
        ...parsedBetween.delta.remove,
      ]).toContain(sourceListing === change ? extra.path : added.path);
      expect(copiedBetween.delta).toEqual(parsedBetween.delta);
      expect(copiedBetween.text).toEqual(parsedBetween.text);
    }
    // A join that fails half-way leaves no final manifest, nor its temporary file, behind.
    const unordered = { differs: change.differs, now: [...change.now].reverse() };
    await rm(join(work, "final-kept.jsonl.gz"));
    await expect(plan(lines, targetChange, unordered)).rejects.toThrow();
    expect(existsSync(join(work, "final-kept.jsonl.gz"))).toBe(false);
    await lines.remove();
    expect((await readdir(work)).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });
});
