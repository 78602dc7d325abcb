/**
 * A batch check lists the batch without digests and hashes its files beside the listing with
 * OpenSSL; what it sees must be exactly what the manifest script's own hashing listing sees, for
 * every kind of entry and name, or a batch could pass or fail on the way it was looked at.
 */
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { collectManifest } from "../../../src/manifest/collect.ts";
import { canonicalLines, type HashAlgorithm } from "../../../src/manifest/model.ts";
import type { Remote } from "../../../src/remote/types.ts";
import { listBatch, verifyBatch } from "../../../src/transfer/batch-verify.ts";
import { LocalRemote } from "../../support/local-remote.ts";

const signal = new AbortController().signal;
const local = new LocalRemote();

describe("listing a batch for its check", () => {
  const root = mkdtempSync(join(tmpdir(), "batch-verify-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, "sub"));
  const files: Record<string, string | Buffer> = {
    "a.txt": "hello",
    empty: "",
    "big.bin": Buffer.alloc(2 * 1024 * 1024 + 3, 7),
    "back\\slash": "odd name: openssl escapes it",
    "new\nline": "odd name too",
    "公文 'quoted' -dash": "名字",
    "sub/deep.txt": "deep",
  };
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

  /** A check of a tree on this machine, hashing with SHA-256. */
  const checkOptions = (extra: { target?: Remote; evidenceFile?: string } = {}) => ({
    source: local,
    target: local,
    hash: "sha256" as const,
    signal,
    roots: [root],
    width: 1,
    ...extra,
  });
  const listed = (path: string) =>
    collectManifest(local, [path], { mode: "list", hash: "sha256", signal, timeoutMs: 60_000 });

  it("gives a file that vanished since the manifest no digest, so it differs", async () => {
    const gone = join(root, "gone.txt");
    writeFileSync(gone, "soon gone");
    const [entry] = await listed(gone);
    rmSync(gone);
    const seen = await listBatch(checkOptions(), [entry!], 16);
    expect(seen.some((found) => found.path === gone && found.hash !== undefined)).toBe(false);
  });

  it("lists at once but appends its evidence only after the check before it, whatever ends first", async () => {
    const work = mkdtempSync(join(tmpdir(), "batch-verify-order-"));
    const evidenceFile = join(work, "evidence.jsonl");
    const [first, second] = [await listed(join(root, "a.txt")), await listed(join(root, "sub/deep.txt"))];
    // The target as the checks see it, counting the commands that ended (clock, listing, digests).
    let ended = 0;
    const count = <T>(promise: Promise<T>) => promise.finally(() => ended++);
    const target: Remote = {
      host: "local",
      run: (command, options) => count(local.run(command, options)),
      check: (command, options) => count(local.check(command, options)),
      stream: async (command, options) => {
        const handle = await local.stream(command, options);
        return { ...handle, done: count(handle.done) };
      },
    };
    const options = checkOptions({ target, evidenceFile });
    let release: () => void = () => {};
    const before = new Promise<void>((resolve) => {
      release = resolve;
    });
    const later = verifyBatch(options, second, 16, before);
    while (ended < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    // Its listing is done; its turn has not come, so nothing of it is in the evidence yet.
    expect(existsSync(evidenceFile)).toBe(false);
    await verifyBatch(options, first, 16);
    release();
    await later;
    const paths = readFileSync(evidenceFile, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line).path);
    expect(paths).toEqual([join(root, "a.txt"), join(root, "sub/deep.txt")]);
    rmSync(work, { recursive: true, force: true });
  });

  it("fails when the check before it failed, and appends nothing", async () => {
    const work = mkdtempSync(join(tmpdir(), "batch-verify-order-"));
    const evidenceFile = join(work, "evidence.jsonl");
    const batch = await listed(join(root, "a.txt"));
    const options = checkOptions({ evidenceFile });
    const failed = Promise.reject(new Error("the batch before differs"));
    // As sync.ts does with every check it chains: handled, and awaited by the next one.
    failed.catch(() => {});
    await expect(verifyBatch(options, batch, 16, failed)).rejects.toThrow("the batch before differs");
    expect(existsSync(evidenceFile)).toBe(false);
    rmSync(work, { recursive: true, force: true });
  });
});
