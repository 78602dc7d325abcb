/**
 * The final manifest's writer on its worker thread: the same file as on the calling thread, and
 * a failure there reaches the caller as an error, with no half-written manifest left.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sortEntries } from "../../../src/manifest/model.ts";
import { digestFile, writeManifestFile } from "../../../src/manifest/store.ts";
import {
  type KeptManifestJob,
  writeKeptManifest,
  writeKeptManifestApart,
} from "../../../src/steps/kept-manifest.ts";
import { SnapshotLines } from "../../../src/steps/snapshot-lines.ts";
import { file } from "../../support/manifest-entries.ts";

const header = { hash: "sha256" as const, roots: ["/r"] };

describe("the final manifest from the snapshot's kept lines, on a worker thread", () => {
  it("writes what the calling thread writes, byte for byte, the change patched in", async () => {
    const work = mkdtempSync(join(tmpdir(), "kept-manifest-"));
    const snapshot = sortEntries(
      [
        file("/r"),
        file("/r/a"),
        file("/r/b", { nlink: 2, ino: "L" }),
        file("/r/c", { nlink: 2, ino: "L" }),
        file("/r/d"),
        file("/r/e"),
      ].map((entry, i) => (i === 0 ? { ...entry, type: "dir" as const, hash: undefined } : entry)),
    );
    const snapshotFile = join(work, "snapshot.jsonl.gz");
    await writeManifestFile(snapshotFile, header, snapshot);
    const lines = new SnapshotLines(join(work, "lines.tmp"));
    await digestFile(snapshotFile, lines.add);
    await lines.close();
    const changedD = file("/r/d", { size: 99, hash: "d".repeat(64) });
    const job = (finalFile: string): KeptManifestJob => ({
      finalFile,
      header,
      linesFile: lines.file,
      linked: snapshot.filter((entry) => entry.nlink > 1),
      // /r/d changed on the source, /r/e is gone from it; the target found /r/a doubtful.
      source: { differs: ["/r/d", "/r/e"], now: [changedD] },
      target: { differs: ["/r/a"], now: [snapshot[1]!] },
    });
    const here = await writeKeptManifest(job(join(work, "here.jsonl.gz")));
    const apart = await writeKeptManifestApart(job(join(work, "apart.jsonl.gz")));
    expect(apart).toEqual(here);
    expect(apart.entries).toBe(5);
    expect(readFileSync(join(work, "apart.jsonl.gz"))).toEqual(readFileSync(join(work, "here.jsonl.gz")));
  });

  it("rejects when the writing fails there, and leaves no manifest behind", async () => {
    const work = mkdtempSync(join(tmpdir(), "kept-manifest-"));
    const finalFile = join(work, "final.jsonl.gz");
    await expect(
      writeKeptManifestApart({
        finalFile,
        header,
        linesFile: join(work, "no-such-lines.tmp"),
        linked: [],
        source: { differs: [], now: [] },
        target: { differs: [], now: [] },
      }),
    ).rejects.toThrow(/no-such-lines/);
    expect(existsSync(finalFile)).toBe(false);
    expect(existsSync(`${finalFile}.tmp`)).toBe(false);
  });
});
