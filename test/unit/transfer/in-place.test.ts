import { describe, expect, it } from "vitest";
import { byteAccounting } from "../../../src/engine/journal/accounting.ts";
import type { ManifestEntry } from "../../../src/manifest/model.ts";
import { matchingPaths } from "../../../src/transfer/in-place.ts";
import { balance, parseDigestLines } from "../../../src/transfer/target-digests.ts";
import { file } from "../../support/manifest-entries.ts";
import { OUTPUTS } from "../../support/step-outputs.ts";

/** The same entry as the target lists it: another device, inode and change time. */
function onTarget(entry: ManifestEntry, extra: Partial<ManifestEntry> = {}): ManifestEntry {
  return { ...entry, dev: "9", ino: `t-${entry.ino}`, ctime: "7.0", ...extra };
}

describe("what the target already holds", () => {
  it("is in place only when content and every kept attribute are the source's", () => {
    const source = [
      file("/a/same"),
      file("/a/other-bytes"),
      file("/a/other-mode"),
      file("/a/other-owner"),
      file("/a/other-mtime"),
      file("/a/missing"),
      { ...file("/a/link"), type: "symlink", target: "same", hash: undefined } as ManifestEntry,
    ];
    const [same, bytes, mode, owner, mtime, , link] = source as ManifestEntry[];
    const target = [
      onTarget(same!),
      onTarget(bytes!, { hash: "h-something-else" }),
      onTarget(mode!, { mode: 0o600 }),
      onTarget(owner!, { uid: 1000 }),
      onTarget(mtime!, { mtime: "2.0000000000" }),
      onTarget(link!),
    ];
    expect([...matchingPaths(source, target)].sort()).toEqual(["/a/link", "/a/same"]);
  });

  it("counts a hard-link group only whole, and never a file hard-linked on one side only", () => {
    const source = [
      file("/h/1", { nlink: 2, ino: "g" }),
      file("/h/2", { nlink: 2, ino: "g" }),
      file("/k/1", { nlink: 2, ino: "k" }),
      file("/k/2", { nlink: 2, ino: "k" }),
      file("/solo"),
    ];
    const target = [
      onTarget(source[0]!, { ino: "tg" }),
      onTarget(source[1]!, { ino: "tg" }),
      // The second member differs: neither member of that group is in place.
      onTarget(source[2]!, { ino: "tk" }),
      onTarget(source[3]!, { ino: "tk", hash: "h-else" }),
      // Linked on the target only.
      onTarget(source[4]!, { nlink: 2, ino: "x" }),
      onTarget(file("/elsewhere", { nlink: 2, ino: "x" })),
    ];
    expect([...matchingPaths(source, target)].sort()).toEqual(["/h/1", "/h/2", "/solo"]);
  });
});

describe("hashing on the target in parallel", () => {
  it("spreads the bytes evenly over the hashing processes, every file once", () => {
    const files = [900, 500, 400, 300, 200, 100, 100].map((size, i) => file(`/f/${i}`, { size }));
    const groups = balance(files, 3);
    expect(groups.flat().sort()).toEqual(files.map((f) => f.path).sort());
    const bytes = groups.map((paths) =>
      paths.reduce((sum, path) => sum + files.find((f) => f.path === path)!.size, 0),
    );
    expect(bytes).toEqual([900, 800, 800]);
    expect(balance(files.slice(0, 2), 4)).toHaveLength(2);
    expect(balance(files, 0)).toHaveLength(1);
  });

  it("reads OpenSSL's digest lines, names with spaces and Chinese included", () => {
    const hex = "a".repeat(64);
    const lines = `${hex} */srv/p/sp ace.html\n${"b".repeat(64)} */srv/p/政务公开.html\nnot a digest line\n`;
    expect([...parseDigestLines(lines)]).toEqual([
      ["/srv/p/sp ace.html", hex],
      ["/srv/p/政务公开.html", "b".repeat(64)],
    ]);
  });
});

describe("byte accounting", () => {
  it("adds the transfer, the final sync's files and dumps, and re-sent seed chunks as sent", () => {
    const accounting = byteAccounting(
      {
        transfer: { ...OUTPUTS.transfer, bytesSent: 100, bytesInPlace: 5000 },
        cutover: {
          ...OUTPUTS.cutover,
          delta: { bytesSent: 20 },
          databases: [
            { name: "a", rowCounts: {}, dumpBytes: 3 },
            { name: "b", rowCounts: {}, dumpBytes: 4 },
          ],
        },
      },
      { carried: 4000, resent: 50 },
    );
    expect(accounting).toEqual({ inPlace: 5000, seeded: 4000, sent: 177 });
    expect(byteAccounting({}, undefined)).toEqual({ inPlace: 0, seeded: 0, sent: 0 });
  });
});
