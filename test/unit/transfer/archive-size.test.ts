/**
 * Issue 13 item 3: progress totals in the unit progress counts. The transfer's meter counts
 * archive bytes; the total is computed from the manifest with tar's headers and padding, and
 * here compared with what GNU tar really writes for the same tree.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { collectManifest } from "../../../src/manifest/collect.ts";
import { archiveBytes, paxRecordBytes } from "../../../src/transfer/archive-size.ts";
import { tarCreate, tarList } from "../../../src/transfer/tar-pipe.ts";
import { LocalRemote } from "../../support/local-remote.ts";

describe("archive size from the manifest", () => {
  const dir = mkdtempSync(join(tmpdir(), "archive-size-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("counts a pax record's own length digits", () => {
    expect(paxRecordBytes("mtime", 20)).toBe(30);
    expect(paxRecordBytes("path", 95)).toBe(105);
    expect(paxRecordBytes("path", 91)).toBe(101);
  });

  it("equals the bytes GNU tar writes for small files, long names, symlinks and directories", async () => {
    for (let n = 0; n < 300; n++) {
      const sub = join(dir, `d${n % 7}`);
      mkdirSync(sub, { recursive: true });
      writeFileSync(join(sub, `f-${n}.dat`), Buffer.alloc((n * 37) % 1500, 1));
    }
    const deep = join(dir, "x".repeat(90), "y".repeat(90));
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, `${"z".repeat(120)}.txt`), "long name");
    symlinkSync("t".repeat(150), join(dir, "long-link"));
    const entries = await collectManifest(new LocalRemote(), [dir], {
      mode: "tree",
      hash: "none",
      signal: new AbortController().signal,
      timeoutMs: 60_000,
    });
    const files = entries.filter((entry) => entry.type !== "dir");
    const dirs = entries.filter((entry) => entry.type === "dir");
    for (const batch of [files, dirs]) {
      const archive = execFileSync("sh", ["-c", tarCreate(false).text], {
        input: tarList(batch.map((entry) => entry.path)),
        maxBuffer: 64 * 1024 * 1024,
      });
      expect(archiveBytes(batch)).toBe(archive.length);
    }
  });
});
