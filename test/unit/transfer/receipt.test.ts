/**
 * The receiver on the target hashes what it passes to tar and lists what tar wrote: that listing
 * must be exactly what the manifest script's own hashing listing sees of the extracted tree, for
 * every kind of entry and name, or a batch could pass or fail on the way it was looked at.
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
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
import { parseReceipt, receiptCommand } from "../../../src/transfer/receipt.ts";
import { tarCreate, tarExtract, tarList } from "../../../src/transfer/tar-pipe.ts";
import { LocalRemote } from "../../support/local-remote.ts";
import { oddFiles } from "../../support/odd-files.ts";

const signal = new AbortController().signal;
const local = new LocalRemote();
const hasSetfacl = spawnSync("sh", ["-c", "command -v setfacl && command -v setfattr"]).status === 0;

describe("a batch's receipt from the target", () => {
  const root = mkdtempSync(join(tmpdir(), "receipt-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  // The source tree holds the target's absolute paths under src/, so `tar -C /` on the
  // receiving side writes them where the target's would go.
  const target = join(root, "dst");
  const source = join(root, "src", target);
  mkdirSync(join(source, "sub"), { recursive: true });
  const files = {
    ...oddFiles(),
    [`long-${"n".repeat(150)}`]: "a name past ustar's 100 bytes, carried by pax",
  };
  for (const [name, data] of Object.entries(files)) writeFileSync(join(source, name), data);
  chmodSync(join(source, "a.txt"), 0o4750);
  symlinkSync("a.txt", join(source, "link"));
  linkSync(join(source, "sub/deep.txt"), join(source, "hard"));
  execFileSync("mkfifo", [join(source, "pipe")]);
  if (hasSetfacl) {
    execFileSync("setfacl", ["-m", "u:1234:r", join(source, "a.txt")]);
    execFileSync("setfattr", ["-n", "user.empty", join(source, "empty")]);
  }
  const names = ["a.txt", "empty", "big.bin", ...Object.keys(files).slice(3), "link", "hard", "pipe"];
  const paths = names.map((name) => join(target, name));
  const longName = paths.find((path) => path.includes("long-"))!;

  /** The archive of `paths` as the source's tar writes it (relative names, from src/). */
  const archive = (compress: boolean) =>
    execFileSync("sh", ["-c", tarCreate(true, compress).text.replace("-C /", `-C '${join(root, "src")}'`)], {
      input: tarList(paths),
      maxBuffer: 1 << 24,
    });

  const receive = (input: Buffer, hash: HashAlgorithm, compress: boolean) => {
    rmSync(target, { recursive: true, force: true });
    mkdirSync(join(target, "sub"), { recursive: true });
    const command = receiptCommand(tarExtract([target], true), [target], hash, compress);
    return execFileSync("sh", ["-c", command.text], { input, maxBuffer: 1 << 24 });
  };

  for (const [hash, compress] of [
    ["sha256", false],
    ["sm3", true],
  ] as [HashAlgorithm, boolean][]) {
    it(`lists what the hashing manifest listing sees after extraction (${hash}, ${compress ? "zstd" : "plain"})`, async () => {
      const receipt = parseReceipt(receive(archive(compress), hash, compress))!;
      const expected = await collectManifest(local, paths, { mode: "list", hash, signal, timeoutMs: 60_000 });
      expect(receipt.entries.map((entry) => entry.path).sort()).toEqual([...paths].sort());
      expect(receipt.entries.filter((entry) => entry.hash !== undefined)).toHaveLength(9);
      expect(canonicalLines(receipt.entries)).toEqual(canonicalLines(expected));
      if (hasSetfacl)
        expect(
          receipt.entries.filter((entry) => entry.xattrs !== undefined).map((entry) => entry.xattrs),
        ).toEqual([expect.stringMatching(/^system\.posix_acl_access=0x02000000/), "user.empty=0x"]);
      // Identity and change time too: the evidence a later check trusts is built from them.
      const byPath = new Map(expected.map((entry) => [entry.path, entry]));
      for (const entry of receipt.entries) {
        const listed = byPath.get(entry.path)!;
        expect([entry.dev, entry.ino, entry.ctime, entry.nlink]).toEqual([
          listed.dev,
          listed.ino,
          listed.ctime,
          listed.nlink,
        ]);
      }
      expect(Number(receipt.at)).toBeGreaterThanOrEqual(
        Math.max(...expected.map((entry) => Number(entry.ctime))),
      );
      expect(readFileSync(join(target, "big.bin")).equals(files["big.bin"] as Buffer)).toBe(true);
    });
  }

  it("hashes the bytes it was given, not what is on the disk afterwards", () => {
    const receipt = parseReceipt(receive(archive(false), "sha256", false))!;
    const digest = execFileSync("sha256sum", [join(source, "a.txt")])
      .toString()
      .slice(0, 64);
    expect(receipt.entries.find((entry) => entry.path === join(target, "a.txt"))?.hash).toBe(digest);
  });

  it("lists nothing outside its roots, whatever the stream holds", () => {
    const receipt = parseReceipt(
      execFileSync(
        "sh",
        [
          "-c",
          receiptCommand(tarExtract([join(target, "sub")], true), [join(target, "sub")], "sha256", false)
            .text,
        ],
        { input: archive(false) },
      ),
    )!;
    expect(receipt.entries.map((entry) => entry.path)).toEqual([join(target, "sub/deep.txt")]);
  });

  it("leaves every digest out past what it cannot read (the check then lists those), and tar still extracts", () => {
    // GNU's long-name member: not what the source's `tar -H posix` writes, so not trusted.
    const members = [paths[0]!, longName, paths[1]!].map((path) => path.slice(1));
    const gnu = execFileSync("tar", ["-C", join(root, "src"), "-H", "gnu", "-cf", "-", ...members]);
    const receipt = parseReceipt(receive(gnu, "sha256", false))!;
    expect(receipt.entries.map((entry) => entry.path)).toEqual([paths[0]]);
    expect(receipt.entries[0]!.hash).toBeUndefined();
    expect(readFileSync(longName, "utf8")).toContain("carried by pax");
  });

  it("exits with tar's status and lists nothing it did not extract", () => {
    const command = receiptCommand(tarExtract([target], false), [target], "sha256", false);
    const result = spawnSync("sh", ["-c", command.text], {
      input: Buffer.from("not an archive".repeat(100)),
    });
    expect(result.status).toBe(2);
    expect(parseReceipt(result.stdout)?.entries).toEqual([]);
  });
});
