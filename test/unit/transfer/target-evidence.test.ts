import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { comparePaths } from "../../../src/manifest/model.ts";
import {
  appendEvidence,
  type EvidenceRecord,
  evidenceOf,
  evidenceSorted,
  racySeconds,
  readEvidence,
  vouchedDigest,
  writeEvidence,
} from "../../../src/transfer/target-evidence.ts";
import { file } from "../../support/manifest-entries.ts";

const DIGEST = "a".repeat(64);
const listed = file("/srv/a", {
  hash: DIGEST,
  dev: "64768",
  ino: "42",
  size: 10,
  mtime: "1733046300.1000000000",
  ctime: "1733046300.2000000000",
});

describe("evidence of digests computed on the target", () => {
  const [record] = evidenceOf([listed], "tgt-1", "sha256", "1733046400.0000000000");

  it("vouches for a file listed again with the same device, inode, size, mtime and ctime", () => {
    const again = { ...listed, hash: undefined };
    expect(vouchedDigest(again, record)).toBe(DIGEST);
  });

  it("does not vouch once anything of its identity changed", () => {
    for (const change of [
      { ctime: "1733046500.0000000000" },
      { ino: "43" },
      { dev: "1" },
      { size: 11 },
      { mtime: "1733046300.0000000000" },
    ])
      expect(vouchedDigest({ ...listed, ...change }, record), JSON.stringify(change)).toBeUndefined();
    expect(vouchedDigest(listed, undefined)).toBeUndefined();
  });

  it("does not vouch for a file changed within two clock ticks before the listing that hashed it", () => {
    const [racy] = evidenceOf([listed], "tgt-1", "sha256", "1733046300.2150000000");
    expect(vouchedDigest(listed, racy)).toBeUndefined();
    const [settled] = evidenceOf([listed], "tgt-1", "sha256", "1733046300.2250000000");
    expect(vouchedDigest(listed, settled)).toBe(DIGEST);
  });

  it("gives a file system that stamps whole seconds two seconds", () => {
    const coarse = { ...listed, ctime: "1733046300.0000000000" };
    const [racy] = evidenceOf([coarse], "tgt-1", "sha256", "1733046301.9000000000");
    expect(vouchedDigest(coarse, racy)).toBeUndefined();
    const [settled] = evidenceOf([coarse], "tgt-1", "sha256", "1733046302.1000000000");
    expect(vouchedDigest(coarse, settled)).toBe(DIGEST);
    expect(racySeconds("1733046300")).toBe(2);
  });

  it("is read back for its host and algorithm only, a later record winning, a torn line ignored", async () => {
    const dir = mkdtempSync(join(tmpdir(), "evidence-"));
    const path = join(dir, "w", "target-evidence.jsonl");
    await writeEvidence(path, [
      record!,
      ...evidenceOf([file("/srv/b", { hash: DIGEST })], "tgt-2", "sha256", "1"),
    ]);
    await appendEvidence(path, [{ ...record!, digest: "b".repeat(64) }]);
    writeFileSync(path, `${readFileSync(path, "utf8")}{"host":"tgt-1",`);
    const read = await readEvidence(path, "tgt-1", "sha256");
    expect([...read.keys()]).toEqual(["/srv/a"]);
    expect(read.get("/srv/a")?.digest).toBe("b".repeat(64));
    expect((await readEvidence(path, "tgt-1", "sm3")).size).toBe(0);
    expect((await readEvidence(join(dir, "none.jsonl"), "tgt-1", "sha256")).size).toBe(0);
  });

  it("is read in path order from disk, a later record winning, other hosts and malformed lines left out", async () => {
    const dir = mkdtempSync(join(tmpdir(), "evidence-"));
    const path = join(dir, "target-evidence.jsonl");
    const at = (p: string, digest = DIGEST) => ({ ...record!, path: p, digest });
    await writeEvidence(path, [
      at("/srv/c"),
      at("/srv/a"),
      ...evidenceOf([file("/srv/b", { hash: DIGEST })], "tgt-2", "sha256", "1"),
      at("/srv/b", "not a digest"),
      { ...at("/srv/d"), size: "10" } as unknown as EvidenceRecord,
    ]);
    await appendEvidence(path, [at("/srv/a", "b".repeat(64))]);
    writeFileSync(path, `${readFileSync(path, "utf8")}{"host":"tgt-1",`);
    const sorted = [];
    // Runs of one record: every record goes through the on-disk sort's merge.
    for await (const one of evidenceSorted(path, dir, "tgt-1", "sha256", { runRecords: 1, ranges: 0 }))
      sorted.push(one);
    expect(sorted.map((one) => [one.path, one.digest[0]])).toEqual([
      ["/srv/a", "b"],
      ["/srv/c", "a"],
    ]);
    // The same file merged as its ascending runs lie (c | a b | b d | a).
    const merged = [];
    for await (const one of evidenceSorted(path, dir, "tgt-1", "sha256")) merged.push(one);
    expect(merged).toEqual(sorted);
    const none = [];
    for await (const one of evidenceSorted(join(dir, "none.jsonl"), dir, "tgt-1", "sha256")) none.push(one);
    expect(none).toEqual([]);
  });

  it("merges appended batches as they lie, names with quotes, backslashes and non-ASCII included", async () => {
    const dir = mkdtempSync(join(tmpdir(), "evidence-"));
    const path = join(dir, "target-evidence.jsonl");
    const names = ['/srv/"q"', "/srv/a\\b", "/srv/é", "/srv/z", "/srv/a\nb", "/srv/\u{1F600}", "/srv/b"];
    const batch = (picked: string[], digit: string) =>
      evidenceOf(
        [...picked].sort(comparePaths).map((name) => file(name, { hash: digit.repeat(64) })),
        "tgt-1",
        "sha256",
        "1",
      );
    // Three batches, the later ones overlapping the first: their records win.
    await appendEvidence(path, batch(names, "a"));
    await appendEvidence(path, batch(names.slice(2, 5), "b"));
    await appendEvidence(path, batch(names.slice(4), "c"));
    const read = async (tuning?: { ranges: number }) => {
      const records = [];
      for await (const one of evidenceSorted(path, dir, "tgt-1", "sha256", tuning)) records.push(one);
      return records.map((one) => [one.path, one.digest[0]]);
    };
    const sorted = await read({ ranges: 0 });
    expect(sorted.map(([name]) => name)).toEqual([...names].sort(comparePaths));
    expect(sorted.filter(([, digit]) => digit === "c")).toHaveLength(3);
    expect(await read()).toEqual(sorted);
    // More runs than merged at once: sorted on disk instead, with the same result.
    expect(await read({ ranges: 2 })).toEqual(sorted);
  });
});
