/**
 * A batch check lists the batch without digests and hashes its files beside the listing with
 * OpenSSL; what it sees must be exactly what the manifest script's own hashing listing sees, for
 * every kind of entry and name, or a batch could pass or fail on the way it was looked at.
 */
import { chmodSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { collectManifest } from "../../../src/manifest/collect.ts";
import { canonicalLines, type HashAlgorithm, type ManifestEntry } from "../../../src/manifest/model.ts";
import { listBatch, verifyBatch } from "../../../src/transfer/batch-verify.ts";
import { readEvidence } from "../../../src/transfer/target-evidence.ts";
import { LocalRemote } from "../../support/local-remote.ts";
import { oddFiles } from "../../support/odd-files.ts";

const signal = new AbortController().signal;
const local = new LocalRemote();

/** What the check needs of a sync's options, all on this machine. */
function checking(root: string, width = 1, evidenceFile?: string) {
  return {
    source: local,
    target: local,
    hash: "sha256" as const,
    signal,
    roots: [root],
    width,
    ...(evidenceFile === undefined ? {} : { evidenceFile }),
  };
}

/** The manifest script's own hashing listing of `paths`. */
const listed = (paths: string[]) =>
  collectManifest(local, paths, { mode: "list", hash: "sha256", signal, timeoutMs: 60_000 });

describe("listing a batch for its check", () => {
  const root = mkdtempSync(join(tmpdir(), "batch-verify-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, "sub"));
  const files = oddFiles();
  for (const [name, data] of Object.entries(files)) writeFileSync(join(root, name), data);
  chmodSync(join(root, "a.txt"), 0o640);
  symlinkSync("a.txt", join(root, "link"));
  linkSync(join(root, "sub/deep.txt"), join(root, "hard"));

  for (const hash of ["sha256", "sm3"] as HashAlgorithm[]) {
    it(`sees what the hashing manifest listing sees (${hash})`, async () => {
      const tree = await collectManifest(local, [root], {
        mode: "tree",
        hash: "none",
        signal,
        timeoutMs: 60_000,
      });
      const paths = tree.map((entry) => entry.path);
      const expected = await collectManifest(local, paths, { mode: "list", hash, signal, timeoutMs: 60_000 });
      const options = { source: local, target: local, hash, signal, roots: [root], width: 2 };
      const seen = await listBatch(options, tree, 4 * 1024 * 1024);
      expect(seen.filter((entry) => entry.type === "file" && entry.hash !== undefined)).toHaveLength(8);
      expect(canonicalLines(seen)).toEqual(canonicalLines(expected));
    });
  }

  it("gives a file that vanished since the manifest no digest, so it differs", async () => {
    const gone = join(root, "gone.txt");
    writeFileSync(gone, "soon gone");
    const [entry] = await listed([gone]);
    rmSync(gone);
    const seen = await listBatch(checking(root), [entry!], 16);
    expect(seen.some((found) => found.path === gone && found.hash !== undefined)).toBe(false);
  });

  it("lists again what a receipt shows differently, and dates only the receipt's own digests by its clock", async () => {
    const tree = await listed([join(root, "a.txt"), join(root, "empty"), join(root, "link")]);
    const [a, empty, link] = tree as [ManifestEntry, ManifestEntry, ManifestEntry];
    // As a host whose tools print differently would: an mtime in another form, a digest left out.
    const receipt = {
      at: "4000000000.5",
      entries: [{ ...a, mtime: a.mtime.slice(0, -1) }, { ...empty, hash: undefined }, link],
    };
    const evidenceFile = join(root, "evidence.jsonl");
    const options = checking(root, 1, evidenceFile);
    expect(await verifyBatch(options, tree, 16, receipt)).toEqual({
      changed: [],
      onArrival: 1,
      listedAgain: 2,
    });
    expect([...(await readEvidence(evidenceFile, "local", "sha256")).values()]).toEqual([]);
    // A receipt that shows the batch as the manifest has it is taken as it is.
    const exact = { at: "4000000000.5", entries: tree };
    expect(await verifyBatch(options, tree, 16, exact)).toEqual({
      changed: [],
      onArrival: 3,
      listedAgain: 0,
    });
    const records = await readEvidence(evidenceFile, "local", "sha256");
    expect([...records.keys()].sort()).toEqual([a.path, empty.path].sort());
    expect(records.get(a.path)?.at).toBe("4000000000.5");
  });
});
