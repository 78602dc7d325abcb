/**
 * The final sync's comparison on the host (script.ts `keep` and `diff`, host-diff.ts): the
 * snapshot keeps its sorted listing, the tree changes in every way the sync meets, and the
 * snapshot patched with only the records the host sends (read again in list mode) must equal
 * the tree's manifest taken afresh. A listing that is missing, another snapshot's, or kept on
 * a host whose comm has no -z is never compared.
 */

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import {
  chmod,
  chown,
  link,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  unlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectManifest } from "../../../src/manifest/collect.ts";
import { collectToFile } from "../../../src/manifest/collect-file.ts";
import { diffOnHost } from "../../../src/manifest/host-diff.ts";
import type { ManifestEntry } from "../../../src/manifest/model.ts";
import { readEntries } from "../../../src/manifest/store.ts";
import { patched } from "../../../src/steps/final-join.ts";
import { LocalRemote } from "../../support/local-remote.ts";

const options = { signal: AbortSignal.timeout(60_000), timeoutMs: 60_000 };

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const result: T[] = [];
  for await (const item of items) result.push(item);
  return result;
}

describe("the final sync's listing compared on the host", () => {
  let root: string;
  let tree: string;
  let work: string;
  let kept: string;
  let snapshotFile: string;
  let sha256: string;
  const at = (name: string) => join(tree, name);

  /** The tree's manifest with digests, to a file: the snapshot, or the reference afresh. */
  async function manifest(file: string, keep?: string) {
    await collectToFile(
      new LocalRemote(),
      [tree],
      {
        ...options,
        hash: "sha256",
        workDir: work,
        ...(keep ? { kept: { use: "keep", file: keep } as const } : {}),
      },
      file,
      [tree],
    );
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "host-diff-"));
    tree = join(root, "tree");
    work = join(root, "work");
    kept = join(root, "kept-listing");
    snapshotFile = join(work, "snapshot.jsonl.gz");
    await mkdir(work);
    await mkdir(join(tree, "sub", "deep"), { recursive: true });
    await mkdir(join(tree, "quiet"));
    for (const name of [
      "same",
      "content",
      "gone",
      "mode",
      "owner",
      "xattr",
      "acl",
      "to-dir",
      "linked",
      "a\nnewline",
      "中文",
      "sub/deep/same",
      "quiet/same",
    ])
      await writeFile(at(name), `${name}\n`);
    await mkdir(at("dir-to-file"));
    await symlink("same", at("sym"));
    await manifest(snapshotFile, kept);
    sha256 = createHash("sha256")
      .update(await readFile(kept))
      .digest("hex");
    // Every kind of change the final sync meets.
    const { mtime } = await import("node:fs").then((fs) => fs.statSync(at("content")));
    await writeFile(at("content"), "CONTENT\n");
    await utimes(at("content"), mtime, mtime);
    await unlink(at("gone"));
    await writeFile(at("new"), "new\n");
    await writeFile(at("sub/deep/new"), "new\n");
    await chmod(at("mode"), 0o600);
    await chown(at("owner"), 1, 1);
    execFileSync("setfattr", ["-n", "user.k", "-v", "v", at("xattr")]);
    execFileSync("setfacl", ["-m", "u:1:r", at("acl")]);
    await rm(at("sym"));
    await symlink("content", at("sym"));
    await unlink(at("to-dir"));
    await mkdir(at("to-dir"));
    await rm(at("dir-to-file"), { recursive: true });
    await writeFile(at("dir-to-file"), "now a file\n");
    await link(at("linked"), at("linked-too"));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("sends only what changed, and the snapshot patched with it is the tree's manifest now", async () => {
    const diff = await diffOnHost(new LocalRemote(), [tree], options, { file: kept, sha256 });
    expect(diff).toBeDefined();
    const now = await collectManifest(
      new LocalRemote(),
      diff!.now.map((entry) => entry.path),
      { ...options, mode: "list", hash: "sha256" },
    );
    const differs = new Set([...diff!.before, ...diff!.now.map((entry) => entry.path)]);
    // Only the change, and the directories it touched, reach node.
    expect([...differs].sort()).toEqual(
      [
        "",
        "/acl",
        "/content",
        "/dir-to-file",
        "/gone",
        "/linked",
        "/linked-too",
        "/mode",
        "/new",
        "/owner",
        "/sub/deep",
        "/sub/deep/new",
        "/sym",
        "/to-dir",
        "/xattr",
      ].map((name) => `${tree}${name}`),
    );
    expect(diff!.before.has(at("gone"))).toBe(true);
    expect(diff!.now.some((entry) => entry.path === at("gone"))).toBe(false);
    const pairs = await all(patched(readEntries(snapshotFile), { differs, now }));
    const fresh = join(work, "fresh.jsonl.gz");
    await manifest(fresh);
    const want = await all(readEntries(fresh));
    expect(pairs.map((pair) => pair.entry)).toEqual(want);
    // Each entry carries the snapshot's as `before`, so a rewritten file's change is seen.
    const content = pairs.find((pair) => pair.entry.path === at("content"))!;
    expect(content.before?.hash).not.toBe(content.entry.hash);
    expect(pairs.find((pair) => pair.entry.path === at("new"))?.before).toBeUndefined();
    expect(want.find((entry: ManifestEntry) => entry.path === at("xattr"))?.xattrs).toContain("user.k");
  });

  it("never compares with a listing that is not the snapshot's, or is missing", async () => {
    const other = "0".repeat(64);
    expect(
      await diffOnHost(new LocalRemote(), [tree], options, { file: kept, sha256: other }),
    ).toBeUndefined();
    const missing = join(root, "no-such-listing");
    expect(await diffOnHost(new LocalRemote(), [tree], options, { file: missing, sha256 })).toBeUndefined();
  });

  it("checks the kept listing with sha256sum on a host without openssl", async () => {
    const withOpenssl = await diffOnHost(new LocalRemote(), [tree], options, { file: kept, sha256 });
    // Every command of the usual PATH but openssl.
    const bin = join(root, "no-openssl-bin");
    await mkdir(bin);
    for (const dir of ["/usr/local/bin", "/usr/bin", "/bin"])
      for (const name of await readdir(dir).catch(() => []))
        if (name !== "openssl" && !existsSync(join(bin, name)))
          await symlink(join(dir, name), join(bin, name));
    const path = process.env.PATH;
    process.env.PATH = bin;
    try {
      expect(execFileSync("sh", ["-c", "command -v openssl || echo none"]).toString().trim()).toBe("none");
      const without = await diffOnHost(new LocalRemote(), [tree], options, { file: kept, sha256 });
      expect(without).toEqual(withOpenssl);
      const other = "0".repeat(64);
      expect(
        await diffOnHost(new LocalRemote(), [tree], options, { file: kept, sha256: other }),
      ).toBeUndefined();
    } finally {
      process.env.PATH = path;
    }
  });

  it("keeps no listing on a host whose comm has no -z", async () => {
    const bin = join(root, "old-bin");
    await mkdir(bin);
    await writeFile(
      join(bin, "comm"),
      '#!/bin/sh\nfor a; do [ "$a" = -z ] && { echo "comm: invalid option -- z" >&2; exit 1; }; done\nexec /usr/bin/comm "$@"\n',
    );
    await chmod(join(bin, "comm"), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    const file = join(root, "kept-old");
    try {
      await manifest(join(work, "old.jsonl.gz"), file);
    } finally {
      process.env.PATH = path;
    }
    expect(existsSync(file)).toBe(false);
  });
});
