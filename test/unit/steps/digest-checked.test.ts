/**
 * The final sync checks the snapshot manifest's journaled digest in its first pass over the file
 * instead of a pass of its own: every entry passes, and a file changed by hand is refused after
 * its last entry (before the caller changes anything), with the same message as before.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeManifestFile } from "../../../src/manifest/store.ts";
import { digestChecked, type ManifestFile } from "../../../src/steps/support.ts";
import { file } from "../../support/manifest-entries.ts";

describe("a manifest's digest checked as it is read", () => {
  let dir: string;
  let manifest: ManifestFile;
  let digest: string;
  const entries = [file("/a"), file("/a/b", { nlink: 2, ino: "7" }), file("/a/c", { nlink: 2, ino: "7" })];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "digest-checked-"));
    const path = join(dir, "manifest.jsonl.gz");
    digest = (await writeManifestFile(path, { hash: "sha256", roots: ["/a"] }, entries)).digest;
    manifest = { file: path, hash: "sha256", roots: ["/a"], entries: () => [] as never };
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("passes every entry of a manifest that matches its digest", async () => {
    const read = [];
    for await (const entry of digestChecked(manifest, digest)) read.push(entry.path);
    expect(read).toEqual(["/a", "/a/b", "/a/c"]);
  });

  it("refuses one that does not, after its last entry", async () => {
    const read: string[] = [];
    const reading = (async () => {
      for await (const entry of digestChecked(manifest, `sha256:${"0".repeat(64)}`)) read.push(entry.path);
    })();
    await expect(reading).rejects.toThrow(/does not match its journaled digest/);
    expect(read).toHaveLength(3);
  });
});
