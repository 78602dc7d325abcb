import { createHash } from "node:crypto";
import { chmod, link, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectManifest } from "../../../src/manifest/collect.ts";
import { fromJsonl, manifestDigest, toJsonl } from "../../../src/manifest/model.ts";
import { ManifestParser, parseManifestOutput } from "../../../src/manifest/parse.ts";
import { sh } from "../../../src/remote/shell.ts";
import { LocalRemote } from "../../support/local-remote.ts";

const NASTY = ["sp ace", "quo'te\"", "中文文件", "-dash", "new\nline", "back\\slash", "$(id)"];

describe("manifest parser", () => {
  it("reads metadata triples and hashes with any bytes in names", () => {
    const hash = "a".repeat(64);
    const output = Buffer.from(
      `f 3 644 0 0 1.5 1.5 1 2 1\0/x/new\nline\0\0l 4 777 0 0 2.0 2.0 1 3 1\0/x/l\0a b\0#hashes\0${hash}  /x/new\nline\0#noxattrs\0`,
    );
    const entries = parseManifestOutput(output);
    expect(entries.map((e) => [e.path, e.type, e.hash, e.target])).toEqual([
      ["/x/l", "symlink", undefined, "a b"],
      ["/x/new\nline", "file", hash, undefined],
    ]);
  });

  it("refuses names that are not UTF-8 instead of mangling them", () => {
    const output = Buffer.concat([
      Buffer.from("f 1 644 0 0 1 1 1 1 1\0/x/"),
      Buffer.from([0xd6, 0xd0]),
      Buffer.from("\0\0#hashes\0#noxattrs\0"),
    ]);
    expect(() => parseManifestOutput(output)).toThrow(/not valid UTF-8/);
  });

  it("keeps a name that holds U+FFFD itself, which is valid UTF-8", () => {
    const entries = parseManifestOutput(
      Buffer.from("d 1 755 0 0 1 1 1 1 2\0/x/a\uFFFDb\0\0#hashes\0#noxattrs\0"),
    );
    expect(entries.map((e) => e.path)).toEqual(["/x/a\uFFFDb"]);
  });

  it("decodes and checks names split across chunks, even inside a character", () => {
    const parse = (bytes: Buffer, cut: number) => {
      const parser = new ManifestParser();
      parser.push(bytes.subarray(0, cut));
      parser.push(bytes.subarray(cut));
      return parser.finish();
    };
    const good = Buffer.from("d 1 755 0 0 1 1 1 1 2\0/x/中文\0\0#hashes\0#noxattrs\0");
    const inside = good.indexOf(Buffer.from("中")) + 1;
    expect(parse(good, inside).map((e) => e.path)).toEqual(["/x/中文"]);
    const bad = Buffer.concat([
      Buffer.from("d 1 755 0 0 1 1 1 1 2\0/x/"),
      Buffer.from([0xd6, 0xd0]),
      Buffer.from("\0\0#hashes\0#noxattrs\0"),
    ]);
    expect(() => parse(bad, bad.indexOf(0xd6) + 1)).toThrow(/not valid UTF-8.*hex 2f782fd6d0/);
  });

  it("leaves out files listed without a hash and names them, for the caller to check", () => {
    const parser = new ManifestParser();
    parser.push(Buffer.from("f 1 644 0 0 1 1 1 1 1\0/gone\0\0#hashes\0#noxattrs\0"));
    expect(parser.finish()).toEqual([]);
    expect(parser.unhashed).toEqual(["/gone"]);
  });

  it("attaches getfattr's attributes, names unescaped and sorted, and refuses output without them", () => {
    const dump =
      "# file: /x/a\\134b\\012c\nuser.z=0x31\nsystem.posix_acl_access=0x02\n\n# file: /x/中\nuser.k=0x32\n\n";
    const entries = parseManifestOutput(
      Buffer.from(
        `f 1 644 0 0 1 1 1 1 1\0/x/a\\b\nc\0\0d 1 755 0 0 1 1 1 1 2\0/x/中\0\0#hashes\0${"b".repeat(64)}  /x/a\\b\nc\0#xattrs\0${dump}\0`,
      ),
    );
    expect(entries.map((e) => [e.path, e.xattrs])).toEqual([
      ["/x/a\\b\nc", "system.posix_acl_access=0x02\nuser.z=0x31"],
      ["/x/中", "user.k=0x32"],
    ]);
    expect(() => parseManifestOutput(Buffer.from("d 1 755 0 0 1 1 1 1 2\0/x\0\0#hashes\0"))).toThrow(
      /no xattr section/,
    );
  });
});

describe("manifest script on a real host shell", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "manifest-"));
    await mkdir(join(dir, "empty"));
    for (const name of NASTY) await writeFile(join(dir, name), `content of ${name}`);
    await link(join(dir, "-dash"), join(dir, "hard"));
    await symlink("中文文件", join(dir, "sym"));
    await chmod(join(dir, "sp ace"), 0o4750);
    await utimes(join(dir, "中文文件"), 1_600_000_000.25, 1_600_000_000.25);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("lists every entry with type, mode, link target, link count and hash", async () => {
    const entries = await collectManifest(new LocalRemote(), [dir], {
      mode: "tree",
      hash: "sha256",
      signal: AbortSignal.timeout(10_000),
      timeoutMs: 10_000,
    });
    const byName = new Map(entries.map((e) => [e.path.slice(dir.length + 1), e]));
    for (const name of NASTY) expect(byName.get(name)?.type).toBe("file");
    expect(byName.get("empty")?.type).toBe("dir");
    expect(byName.get("sym")?.target).toBe("中文文件");
    expect(byName.get("sp ace")?.mode).toBe(0o4750);
    expect(byName.get("hard")?.nlink).toBe(2);
    expect(byName.get("hard")?.ino).toBe(byName.get("-dash")?.ino);
    expect(byName.get("中文文件")?.mtime).toBe("1600000000.2500000000");
    expect(byName.get("-dash")?.hash).toBe(createHash("sha256").update("content of -dash").digest("hex"));
  });

  it("hashes files of 1 MiB and more through openssl, with the same digest as sha256sum", async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 7, 0x5a);
    await writeFile(join(dir, "big file"), big);
    const entries = await collectManifest(new LocalRemote(), [join(dir, "big file"), join(dir, "-dash")], {
      mode: "list",
      hash: "sha256",
      signal: AbortSignal.timeout(10_000),
      timeoutMs: 10_000,
    });
    expect(entries.map((e) => e.hash)).toEqual([
      createHash("sha256").update("content of -dash").digest("hex"),
      createHash("sha256").update(big).digest("hex"),
    ]);
  });

  it("hashes with SM3 through openssl when asked", async () => {
    const [entry] = await collectManifest(new LocalRemote(), [join(dir, "中文文件")], {
      mode: "list",
      hash: "sm3",
      signal: AbortSignal.timeout(10_000),
      timeoutMs: 10_000,
    });
    const probe = await new LocalRemote().check(
      sh`printf %s ${"content of 中文文件"} | openssl dgst -sm3 -r`,
    );
    const expected = probe.stdout.split(" ")[0];
    expect(entry?.hash).toBe(expected);
  });

  it("hashes a slice of files with SM3 in one openssl, and a slice holding a name it would escape one file at a time", async () => {
    const odd = join(dir, "back\\slash\nnew line");
    await writeFile(odd, "odd");
    const files = NASTY.map((name) => join(dir, name));
    const sm3 = async (paths: string[]) =>
      (
        await collectManifest(new LocalRemote(), paths, {
          mode: "list",
          hash: "sm3",
          signal: AbortSignal.timeout(10_000),
          timeoutMs: 10_000,
        })
      ).map((entry) => [entry.path, entry.hash]);
    const one = async (path: string) =>
      (await new LocalRemote().check(sh`openssl dgst -sm3 -r < ${path}`)).stdout.split(" ")[0];
    const expected = async (paths: string[]) =>
      Promise.all([...paths].sort().map(async (path) => [path, await one(path)]));
    const plain = files.filter((path) => !/[\\\n]/.test(path));
    expect(plain.length).toBe(files.length - 2);
    expect(await sm3(plain)).toEqual(await expected(plain));
    expect(await sm3([...files, odd])).toEqual(await expected([...files, odd]));
    await rm(odd);
  });

  it("digest is stable through JSONL and changes when a mode changes", async () => {
    const options = {
      mode: "tree",
      hash: "sha256",
      signal: AbortSignal.timeout(10_000),
      timeoutMs: 10_000,
    } as const;
    const manifest = {
      hash: "sha256" as const,
      roots: [dir],
      entries: await collectManifest(new LocalRemote(), [dir], options),
    };
    expect(manifestDigest(fromJsonl([...toJsonl(manifest, 2)].join("")))).toBe(manifestDigest(manifest));
    await chmod(join(dir, "-dash"), 0o600);
    const changed = { ...manifest, entries: await collectManifest(new LocalRemote(), [dir], options) };
    expect(manifestDigest(changed)).not.toBe(manifestDigest(manifest));
  });

  it("reports a missing root as a non-retryable error naming the path", async () => {
    await expect(
      collectManifest(new LocalRemote(), [join(dir, "nope")], {
        mode: "tree",
        hash: "sha256",
        signal: AbortSignal.timeout(10_000),
        timeoutMs: 10_000,
      }),
    ).rejects.toMatchObject({ retryable: false, message: expect.stringMatching(/does not exist.*nope/) });
  });
});
