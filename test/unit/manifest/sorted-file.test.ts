/**
 * Manifests as sorted streams on disk: the external sort (runs spilled and merged, a later
 * record replacing an earlier one of the same path), the merge-join that compares two sorted
 * streams, and the saved file whose digest equals the in-memory digest — with names that break
 * naive line or locale handling: newlines, spaces, UTF-8 beyond the BMP, very long paths.
 */
import { mkdtemp, readdir, readFile, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { comparePaths, type ManifestEntry, manifestDigest, toJsonl } from "../../../src/manifest/model.ts";
import {
  LineWriter,
  MERGE_FAN_IN,
  mergeJoin,
  readLines,
  SortedWriter,
} from "../../../src/manifest/sorted-file.ts";
import {
  digestFile,
  entrySorter,
  linkGroupsOf,
  readEntries,
  writeManifestFile,
} from "../../../src/manifest/store.ts";
import { file } from "../../support/manifest-entries.ts";

const ODD = [
  "/srv/a\nb",
  "/srv/a b",
  "/srv/a",
  "/srv/a/b",
  "/srv/中文/文件.txt",
  "/srv/😀emoji",
  "/srv/\uffff-last-bmp",
  "/srv/Zebra",
  "/srv/zebra",
  "/srv/-dash",
  `/srv/${"long-directory-name/".repeat(200)}end`,
  "/srv/é",
  "/srv/e\u0301",
];

/** UTF-8 byte order, computed the slow obvious way. */
function byteOrder(paths: readonly string[]): string[] {
  return [...paths].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const result: T[] = [];
  for await (const item of items) result.push(item);
  return result;
}

/** Pairs sorted by a SortedWriter of small runs (and fan-in), a later pair replacing an earlier. */
async function sortPairs(records: [string, number][], runRecords: number, fanIn?: number) {
  const sorter = new SortedWriter<[string, number]>({
    key: (r) => r[0],
    compare: comparePaths,
    workDir: dir,
    runRecords,
    ...(fanIn === undefined ? {} : { fanIn }),
  });
  for (const record of records) {
    sorter.add(record);
    await sorter.settle();
  }
  return collect(sorter.sorted());
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sorted-file-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("external sort", () => {
  it("sorts odd names in UTF-8 byte order across spilled runs and removes its runs", async () => {
    const sorter = entrySorter(dir, 3);
    for (const path of [...ODD].reverse()) {
      sorter.add(file(path));
      await sorter.settle();
    }
    expect(sorter.count).toBe(ODD.length);
    expect((await readdir(dir)).some((name) => name.startsWith(".sort-"))).toBe(true);
    const sorted = (await collect(sorter.sorted())).map((entry) => entry.path);
    expect(sorted).toEqual(byteOrder(ODD));
    expect((await readdir(dir)).some((name) => name.startsWith(".sort-"))).toBe(false);
  });

  it("keeps the record added last of equal keys, within a run and across runs", async () => {
    const records: [string, number][] = [
      ["b", 1],
      ["a", 1],
      ["b", 2],
      ["c", 1],
      ["a", 2],
      ["a", 3],
    ];
    expect(await sortPairs(records, 2)).toEqual([
      ["a", 3],
      ["b", 2],
      ["c", 1],
    ]);
  });
});

describe("merge fan-in", () => {
  /** Files of the sort's temporary directory this process holds open (Linux /proc). */
  async function openRuns(): Promise<number> {
    const fds = await readdir("/proc/self/fd");
    const targets = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => "")));
    return targets.filter((target) => target.startsWith(join(dir, ".sort-"))).length;
  }

  it("never reads more than MERGE_FAN_IN runs at once, however many were spilled", async () => {
    // Every open run costs memory of its own: a merge of all of a million files' 100 runs at
    // once made the snapshot's peak grow with the number of files.
    const runs = 3 * MERGE_FAN_IN + 5;
    const sorter = entrySorter(dir, 10);
    for (let i = 0; i < runs * 10; i++) {
      sorter.add(file(`/srv/${String((i * 7919) % (runs * 10)).padStart(6, "0")}`));
      await sorter.settle();
    }
    let most = 0;
    let count = 0;
    let last = "";
    for await (const entry of sorter.sorted()) {
      if (count++ % 50 === 0) most = Math.max(most, await openRuns());
      expect(comparePaths(last, entry.path)).toBeLessThan(0);
      last = entry.path;
    }
    expect(count).toBe(runs * 10);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(MERGE_FAN_IN);
    expect((await readdir(dir)).some((name) => name.startsWith(".sort-"))).toBe(false);
  });

  it("keeps the record added last of equal keys when runs are merged in groups first", async () => {
    // Seven runs of two: "a" in runs 0, 3 and 6, "b" in runs 1 and 4; groups of two, then again.
    const records: [string, number][] = [
      ["a", 1],
      ["x", 1],
      ["b", 1],
      ["y", 1],
      ["c", 1],
      ["z", 1],
      ["a", 2],
      ["w", 1],
      ["b", 2],
      ["c", 2],
      ["v", 1],
      ["u", 1],
      ["a", 3],
    ];
    expect(await sortPairs(records, 2, 2)).toEqual([
      ["a", 3],
      ["b", 2],
      ["c", 2],
      ["u", 1],
      ["v", 1],
      ["w", 1],
      ["x", 1],
      ["y", 1],
      ["z", 1],
    ]);
  });
});

describe("merge-join", () => {
  async function* stream<T>(items: readonly T[]): AsyncGenerator<T> {
    yield* items;
  }

  it("pairs each path once, with the side or sides that have it", async () => {
    const left = byteOrder(ODD.filter((_, i) => i % 2 === 0));
    const right = byteOrder(ODD.filter((_, i) => i % 3 === 0));
    const joined = await collect(
      mergeJoin(stream(left), stream(right), { left: (p) => p, right: (p) => p, compare: comparePaths }),
    );
    expect(joined.map((pair) => pair.key)).toEqual(byteOrder([...new Set([...left, ...right])]));
    for (const pair of joined) {
      expect(pair.left).toBe(left.includes(pair.key) ? pair.key : undefined);
      expect(pair.right).toBe(right.includes(pair.key) ? pair.key : undefined);
    }
  });

  it("drains one side when the other is empty", async () => {
    const keys = { left: (p: string) => p, right: (p: string) => p, compare: comparePaths };
    expect(await collect(mergeJoin(stream(["x", "y"]), stream<string>([]), keys))).toEqual([
      { key: "x", left: "x" },
      { key: "y", left: "y" },
    ]);
    expect(await collect(mergeJoin(stream<string>([]), stream(["x"]), keys))).toEqual([
      { key: "x", right: "x" },
    ]);
  });
});

describe("manifest file", () => {
  const entries: ManifestEntry[] = byteOrder(ODD).map((path, index) =>
    file(path, index < 2 ? { nlink: 2, ino: "shared" } : {}),
  );

  it("reads back what it wrote, compressed, with the in-memory digest", async () => {
    const target = join(dir, "m.jsonl.gz");
    const summary = await writeManifestFile(target, { hash: "sha256", roots: ["/srv"] }, entries);
    const back = await collect(readEntries(target));
    expect(back).toEqual(entries);
    expect(summary).toMatchObject({ entries: ODD.length, files: ODD.length, bytes: 10 * ODD.length });
    // Hard links enter the digest as their group's first path, computed from the stream.
    expect(summary.digest).toBe(manifestDigest({ hash: "sha256", roots: ["/srv"], entries }));
    expect((await readFile(target)).subarray(0, 2).toString("hex")).toBe("1f8b");
  });

  it("fails, not hangs, when the file cannot be written", async () => {
    // Enough lines to fill the compressor's buffers: the write then waits for a drain that a
    // file that never opened cannot give.
    const many = Array.from({ length: 40_000 }, (_, i) => file(`/srv/${String(i).padStart(8, "0")}`));
    const target = join(dir, "no-such-directory", "m.jsonl.gz");
    await expect(writeManifestFile(target, { hash: "sha256", roots: ["/srv"] }, many)).rejects.toThrow(
      /ENOENT/,
    );
  });

  it("digests as it writes with hard-link groups known beforehand, as reading the file does", async () => {
    const target = join(dir, "inline.jsonl.gz");
    const groups = await linkGroupsOf(entries.filter((entry) => entry.nlink > 1));
    const summary = await writeManifestFile(target, { hash: "sha256", roots: ["/srv"] }, entries, groups);
    expect(summary.digest).toBe(await digestFile(target));
    expect(summary.digest).toBe(manifestDigest({ hash: "sha256", roots: ["/srv"], entries }));
    // A temporary listing: no digest, written plain.
    const plain = join(dir, "listing.jsonl.gz");
    expect((await writeManifestFile(plain, { hash: "sha256", roots: [] }, entries, false)).digest).toBe("");
    expect(await collect(readEntries(plain))).toEqual(entries);
    expect((await readFile(plain)).subarray(0, 1).toString()).toBe("{");
  });

  it("reads a plain JSONL manifest an older migrate saved, with the same digest", async () => {
    const manifest = { hash: "sha256" as const, roots: ["/srv"], entries };
    const plain = join(dir, "old.jsonl");
    await import("node:fs/promises").then((fs) => fs.writeFile(plain, [...toJsonl(manifest)].join("")));
    expect(await digestFile(plain)).toBe(manifestDigest(manifest));
  });

  it("refuses entries out of order rather than saving a manifest that compares wrongly", async () => {
    await expect(
      writeManifestFile(join(dir, "bad.jsonl.gz"), { hash: "sha256", roots: [] }, [file("/b"), file("/a")]),
    ).rejects.toThrow(/out of order/);
  });
});

describe("LineWriter", () => {
  // Lines that fill a chunk to its last bytes in every way: multi-byte characters, a surrogate
  // pair, a lone surrogate (written as U+FFFD, as Buffer.from writes it), lines longer than a
  // chunk, and an empty one.
  const lines = Array.from({ length: 6_000 }, (_, i) => {
    const pick = i % 7;
    if (pick === 0) return `${"中文".repeat(i % 97)}/${i}`;
    if (pick === 1) return `😀${"x".repeat(i % 301)}`;
    if (pick === 2) return `lone \ud800 ${i}`;
    if (pick === 3) return i % 2000 === 3 ? "界".repeat(200_000) : `plain ${i}`;
    if (pick === 4) return "";
    return JSON.stringify({ path: `/srv/d${i}/f ${i}.txt`, size: i });
  });

  it.each([0, 1])("writes every line as Buffer.from would, at gzip level %i", async (level) => {
    const target = join(dir, `lines-${level}`);
    const writer = new LineWriter(target, level);
    for (const line of lines) await writer.write(line);
    await writer.close();
    const expected = Buffer.from(lines.map((line) => `${line}\n`).join(""));
    const written = await readFile(target);
    if (level === 0) expect(written.equals(expected)).toBe(true);
    // readLines skips empty lines; everything else comes back as written.
    expect(await collect(readLines(target))).toEqual(
      lines.filter((line) => line !== "").map((line) => line.replace("\ud800", "\ufffd")),
    );
  });
});
