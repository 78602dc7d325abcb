/**
 * Metadata-only tree listings sorted on the host (`LC_ALL=C sort -z`, script.ts): the order must
 * be the manifest's own (comparePaths, UTF-8 byte order) for every name — non-ASCII, names with
 * newlines, a name that is a prefix of another — and a name or link target holding the \1 byte
 * the sorted records use as separator falls back to the unsorted output, with the same result, and
 * so does a host whose sort has no -z (older busybox and coreutils).
 */
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectManifest, runManifestScript } from "../../../src/manifest/collect.ts";
import { collectToFile } from "../../../src/manifest/collect-file.ts";
import { comparePaths, type ManifestEntry } from "../../../src/manifest/model.ts";
import { ManifestParser } from "../../../src/manifest/parse.ts";
import { readEntries } from "../../../src/manifest/store.ts";
import { LocalRemote } from "../../support/local-remote.ts";

const NAMES = [
  "a",
  "a b",
  "a-",
  "a.",
  "a\nb",
  "a\tb",
  "Z",
  "~",
  "\u007f",
  "é",
  "ÿ",
  "中文",
  "中文文件",
  "\uFFFD",
  "\uE000",
  "😀",
  "😀a",
  "-dash",
];

const options = { signal: AbortSignal.timeout(30_000), timeoutMs: 30_000 };

async function listed(dir: string, work: string): Promise<{ entries: ManifestEntry[]; sorted: boolean }> {
  const file = join(work, `listing-${Math.random()}.jsonl`);
  await collectToFile(
    new LocalRemote(),
    [dir],
    { ...options, hash: "none", workDir: work, digest: false },
    file,
    [dir],
  );
  const entries: ManifestEntry[] = [];
  for await (const entry of readEntries(file)) entries.push(entry);
  const parser = new ManifestParser(false, { entry: () => {}, hash: () => {} });
  await runManifestScript(
    new LocalRemote(),
    [dir],
    "tree",
    { ...options, mode: "tree", hash: "none", sorted: true },
    parser,
  );
  return { entries, sorted: parser.sorted };
}

describe("tree listings sorted on the host", () => {
  let root: string;
  let plain: string;
  let odd: string;
  let work: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "sorted-listing-"));
    plain = join(root, "plain");
    odd = join(root, "odd");
    work = join(root, "work");
    await mkdir(work);
    for (const dir of [plain, odd]) {
      await mkdir(join(dir, "a"), { recursive: true });
      for (const name of NAMES.filter((name) => name !== "a")) await writeFile(join(dir, name), name);
      for (const name of ["b", "b b", "中"]) await writeFile(join(dir, "a", name), name);
      await mkdir(join(dir, "a", "deeper"));
      await symlink("a\nb", join(dir, "link"));
    }
    await writeFile(join(odd, "one\u0001two"), "x");
    await symlink("target\u0001with\u0001bytes", join(odd, "odd-link"));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("comes sorted from the host in the manifest's own order, every name included", async () => {
    const { entries, sorted } = await listed(plain, work);
    expect(sorted).toBe(true);
    const paths = entries.map((entry) => entry.path);
    expect(paths).toEqual([...paths].sort(comparePaths));
    // The same entries as the listing sorted here from the unsorted output.
    const unsorted = await collectManifest(new LocalRemote(), [plain], {
      ...options,
      mode: "tree",
      hash: "none",
    });
    expect(entries).toEqual(unsorted);
    expect(paths).toContain(join(plain, "a\nb"));
    expect(entries.find((entry) => entry.path === join(plain, "link"))?.target).toBe("a\nb");
  });

  it("falls back to the unsorted output when a name or link target holds the separator byte", async () => {
    const { entries, sorted } = await listed(odd, work);
    expect(sorted).toBe(false);
    const unsorted = await collectManifest(new LocalRemote(), [odd], {
      ...options,
      mode: "tree",
      hash: "none",
    });
    expect(entries).toEqual(unsorted);
    expect(entries.find((entry) => entry.path === join(odd, "odd-link"))?.target).toBe(
      "target\u0001with\u0001bytes",
    );
    expect(entries.map((entry) => entry.path)).toContain(join(odd, "one\u0001two"));
  });

  /** Runs `body` with a `sort` of `script` (a shell body) first on PATH, as an older host's. */
  async function withSort(name: string, script: string, body: () => Promise<void>): Promise<void> {
    const bin = join(root, name);
    await mkdir(bin);
    await writeFile(join(bin, "sort"), `#!/bin/sh\n${script}\nexec /usr/bin/sort "$@"\n`);
    await chmod(join(bin, "sort"), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      await body();
    } finally {
      process.env.PATH = path;
    }
  }

  it("falls back to the unsorted output on a host whose sort has no -z", async () => {
    const noZ = 'for a; do [ "$a" = -z ] && { echo "sort: invalid option -- z" >&2; exit 2; }; done';
    await withSort("old-bin", noZ, async () => {
      const { entries, sorted } = await listed(plain, work);
      expect(sorted).toBe(false);
      const paths = entries.map((entry) => entry.path);
      expect(paths).toEqual([...paths].sort(comparePaths));
      expect(paths).toHaveLength(NAMES.length + 6);
    });
  });

  it("fails the listing, never shortens it, when the host's sort fails midway", async () => {
    const full =
      'case "$*" in *" -- "*) echo "sort: write failed: /tmp/sortQ: No space left on device" >&2; exit 2 ;; esac';
    await withSort("full-bin", full, async () => {
      await expect(listed(plain, work)).rejects.toThrow(
        /listing the workload's paths .* failed: .*No space left/,
      );
    });
  });
});
