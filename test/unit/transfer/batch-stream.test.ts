import { describe, expect, it } from "vitest";
import type { ManifestEntry } from "../../../src/manifest/model.ts";
import { streamBatches, survey } from "../../../src/transfer/batch-stream.ts";
import { planBatches } from "../../../src/transfer/batches.ts";
import { LARGE_FILE_BYTES } from "../../../src/transfer/ranges.ts";
import { file } from "../../support/manifest-entries.ts";

function dir(path: string): ManifestEntry {
  return { ...file(path), type: "dir", size: 4096, hash: undefined } as ManifestEntry;
}

/** The entries as a stream read afresh on every call, with new objects each time (as from disk). */
function fromDisk(entries: readonly ManifestEntry[]) {
  let reads = 0;
  const source = async function* () {
    reads++;
    for (const entry of entries) yield structuredClone(entry);
  };
  return { source, reads: () => reads };
}

async function collect(batches: AsyncIterable<ManifestEntry[]>): Promise<string[][]> {
  const result: string[][] = [];
  for await (const batch of batches) result.push(batch.map((entry) => entry.path));
  return result;
}

const tree = [
  dir("/a"),
  file("/a/1", { size: 60 }),
  file("/a/2", { size: 60, nlink: 2, ino: "x" }),
  file("/a/3", { size: 10 }),
  dir("/a/b"),
  file("/a/b/4", { size: 60, nlink: 2, ino: "x" }),
  file("/a/b/5", { size: 10 }),
  file("/a/b/6", { size: 30, nlink: 3, ino: "y" }),
  file("/a/b/7", { size: 30 }),
  file("/a/c", { size: 30, nlink: 3, ino: "y" }),
  file("/a/d", { size: 5 }),
];

describe("batches cut from a sorted stream", () => {
  it("are the batches planBatches cuts from the same entries, in the same order", async () => {
    const limits = { maxBytes: 100, maxFiles: 3 };
    const disk = fromDisk(tree);
    const surveyed = await survey(disk.source, false);
    const streamed = await collect(streamBatches(disk.source, surveyed, limits));
    expect(streamed).toEqual(planBatches(tree, limits).map((batch) => batch.map((entry) => entry.path)));
    expect(streamed).toEqual([
      ["/a/1"],
      ["/a/2", "/a/b/4", "/a/3"],
      ["/a/b/5", "/a/b/6", "/a/c"],
      ["/a/b/7", "/a/d"],
      ["/a", "/a/b"],
    ]);
    expect(disk.reads()).toBe(2);
    expect(await collect(streamBatches(tree, await survey(tree, false), limits))).toEqual(streamed);
  });

  it("holds back only hard-linked files, directories and large files, and leaves the large ones to ranges", async () => {
    const big = file("/a/big", { size: LARGE_FILE_BYTES });
    const entries = [...tree.slice(0, 2), big, ...tree.slice(2)];
    const disk = fromDisk(entries);
    const surveyed = await survey(disk.source, true);
    expect(surveyed.large.map((entry) => entry.path)).toEqual(["/a/big"]);
    expect(surveyed.dirs.map((entry) => entry.path)).toEqual(["/a", "/a/b"]);
    expect([...surveyed.links.values()].flat().length).toBe(4);
    const batches = await collect(streamBatches(disk.source, surveyed, { maxBytes: 1000, maxFiles: 100 }));
    expect(batches.flat()).not.toContain("/a/big");
    expect(batches.flat().sort()).toEqual(tree.map((entry) => entry.path).sort());
    // Without ranges the large file travels in a batch like any other.
    const plain = await collect(streamBatches(disk.source, await survey(disk.source, false)));
    expect(plain.flat()).toContain("/a/big");
  });
});
