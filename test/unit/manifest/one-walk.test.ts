/**
 * The hashed tree listing (the snapshot's): one walk feeds the hashers, files of 1 MiB and more
 * are hashed after it, and the host sorts entries and hashes together. Every path must give the
 * same manifest — sorted on the host or not, and on hosts without flock, openssl, getfattr or a
 * `sed`/`sort` with -z — with any name, and what the login cannot read is still refused.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectManifest } from "../../../src/manifest/collect.ts";
import { collectToFile } from "../../../src/manifest/collect-file.ts";
import type { ManifestEntry } from "../../../src/manifest/model.ts";
import { ManifestParser } from "../../../src/manifest/parse.ts";
import { manifestCommand, nulList, WAIT_MARKER } from "../../../src/manifest/script.ts";
import { readEntries } from "../../../src/manifest/store.ts";
import { nested, type ShellCommand, sh } from "../../../src/remote/shell.ts";
import type { RunOptions } from "../../../src/remote/types.ts";
import { LocalRemote } from "../../support/local-remote.ts";

const NAMES = ["sp ace", "quo'te\"", "中文文件", "-dash", "new\nline", "back\\slash", "$(id)", "a  b"];
const BIG = Buffer.alloc(2 * 1024 * 1024 + 3, 0x61);
const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const options = { signal: AbortSignal.timeout(60_000), timeoutMs: 60_000 };

/** The script as a login without root runs it (root reads everything). */
class Unprivileged extends LocalRemote {
  override stream(command: ShellCommand, streamOptions: Omit<RunOptions, "stdin" | "maxBuffer"> = {}) {
    return super.stream(
      sh`setpriv --reuid=65534 --regid=65534 --clear-groups ${nested(command)}`,
      streamOptions,
    );
  }
}

describe("hashed tree listings in one walk", () => {
  let root = "";
  const tree = () => join(root, "tree");
  const work = () => join(root, "work");
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "one-walk-"));
    await mkdir(work());
    await mkdir(join(tree(), "sub", "deeper"), { recursive: true });
    for (const name of NAMES) await writeFile(join(tree(), name), `content of ${name}`);
    for (let i = 0; i < 1200; i++) await writeFile(join(tree(), "sub", `f${i}`), `small ${i}`);
    await writeFile(join(tree(), "sub", "deeper", "big file"), BIG);
    await writeFile(join(tree(), "sub", "deeper", "-big"), BIG.subarray(1));
    await writeFile(join(tree(), "empty"), "");
    await symlink("中文文件", join(tree(), "link"));
    spawnSync("setfattr", ["-n", "user.origin", "-v", "test", join(tree(), "中文文件")]);
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  async function viaFile(remote = new LocalRemote()): Promise<ManifestEntry[]> {
    const file = join(work(), `m-${Math.random()}.jsonl.gz`);
    await collectToFile(remote, [tree()], { ...options, hash: "sha256", workDir: work() }, file, [tree()]);
    const entries: ManifestEntry[] = [];
    for await (const entry of readEntries(file)) entries.push(entry);
    return entries;
  }

  it("hashes every file, small and large, whatever its name, sorted on the host as when sorted here", async () => {
    const sorted = await viaFile();
    const unsorted = await collectManifest(new LocalRemote(), [tree()], {
      ...options,
      mode: "tree",
      hash: "sha256",
    });
    expect(sorted).toEqual(unsorted);
    const byName = new Map(sorted.map((entry) => [entry.path.slice(tree().length + 1), entry]));
    for (const name of NAMES) expect(byName.get(name)?.hash).toBe(sha256(`content of ${name}`));
    expect(byName.get("sub/deeper/big file")?.hash).toBe(sha256(BIG));
    expect(byName.get("sub/deeper/-big")?.hash).toBe(sha256(BIG.subarray(1)));
    expect(byName.get("sub/f1199")?.hash).toBe(sha256("small 1199"));
    expect(byName.get("empty")?.hash).toBe(sha256(""));
    expect(byName.get("link")?.target).toBe("中文文件");
    expect(byName.get("中文文件")?.xattrs).toBe("user.origin=0x74657374");
    expect(sorted.filter((entry) => entry.type === "file")).toHaveLength(NAMES.length + 1203);
  });

  it("walks the tree once: find runs once whatever the tree holds", async () => {
    const bin = join(root, "counting");
    await mkdir(bin);
    const count = join(root, "finds");
    await writeFile(join(bin, "find"), `#!/bin/sh\necho run >> '${count}'\nexec /usr/bin/find "$@"\n`);
    await chmod(join(bin, "find"), 0o755);
    await withPath(`${bin}:${process.env.PATH}`, () => viaFile());
    const runs = spawnSync("wc", ["-l", count]).stdout.toString().trim().split(" ")[0];
    expect(runs).toBe("1");
  });

  /** A PATH of every command of this machine but `hidden`, and `extra` scripts first. */
  async function without(
    name: string,
    hidden: string[],
    extra: Record<string, string> = {},
  ): Promise<string> {
    const bin = join(root, name);
    await mkdir(bin);
    for (const dir of ["/usr/local/bin", "/usr/bin", "/usr/sbin"]) {
      for (const command of await readdir(dir).catch(() => [] as string[])) {
        if (hidden.includes(command) || command in extra) continue;
        await symlink(join(dir, command), join(bin, command)).catch(() => {});
      }
    }
    for (const [command, body] of Object.entries(extra)) {
      await writeFile(join(bin, command), `#!/bin/sh\n${body}\n`);
      await chmod(join(bin, command), 0o755);
    }
    return bin;
  }

  async function withPath<T>(path: string, body: () => Promise<T>): Promise<T> {
    const saved = process.env.PATH;
    process.env.PATH = path;
    try {
      return await body();
    } finally {
      process.env.PATH = saved;
    }
  }

  it("gives the same manifest on hosts without flock, openssl, getfattr, or a sed or sort with -z", async () => {
    const expected = await viaFile();
    const noZ = (real: string) =>
      `for a; do [ "$a" = -z ] && { echo "invalid option -- z" >&2; exit 2; }; done\nexec ${real} "$@"`;
    const hosts = {
      "no-flock": await without("no-flock", ["flock"]),
      "no-openssl": await without("no-openssl", ["openssl"]),
      "old-sed": await without("old-sed", [], { sed: noZ("/usr/bin/sed") }),
      "old-sort": await without("old-sort", [], { sort: noZ("/usr/bin/sort") }),
      bare: await without("bare", ["flock", "openssl", "getfattr"], { sort: noZ("/usr/bin/sort") }),
    };
    for (const [host, bin] of Object.entries(hosts)) {
      const entries = await withPath(bin, () => viaFile());
      if (host === "bare") {
        // Without getfattr attributes are unknown: the entries carry none, all else is equal.
        expect(entries, host).toEqual(expected.map(({ xattrs: _, ...entry }) => entry));
      } else expect(entries, host).toEqual(expected);
    }
  });

  it("refuses what the login cannot read, naming it, and lists the readable rest", async () => {
    const open = join(root, "open");
    await mkdir(join(open, "locked"), { recursive: true });
    await writeFile(join(open, "secret"), "x");
    await writeFile(join(open, "ok"), "y");
    for (let i = 0; i < 600; i++) await writeFile(join(open, `f${i}`), `${i}`);
    await chmod(root, 0o755);
    await chmod(join(open, "secret"), 0o600);
    await chmod(join(open, "locked"), 0o700);
    const started = Date.now();
    await expect(
      collectToFile(
        new Unprivileged(),
        [open],
        { ...options, hash: "sha256", workDir: work() },
        join(work(), "u"),
        [open],
      ),
    ).rejects.toThrow(
      /2 path\(s\) on local cannot be read by the login, e\.g\. .*(secret|locked).*(secret|locked)/,
    );
    expect(Date.now() - started).toBeLessThan(20_000);
    await chmod(join(open, "secret"), 0o644);
    await chmod(join(open, "locked"), 0o755);
    const file = join(work(), "readable");
    await collectToFile(new Unprivileged(), [open], { ...options, hash: "sha256", workDir: work() }, file, [
      open,
    ]);
    const entries: ManifestEntry[] = [];
    for await (const entry of readEntries(file)) entries.push(entry);
    expect(entries.find((entry) => entry.path === join(open, "secret"))?.hash).toBe(sha256("x"));
    expect(entries).toHaveLength(604);
  });

  it("keeps the stream alive with #wait fields while the host hashes, and parses through them", async () => {
    const bin = await without("slow-hash", [], { openssl: 'sleep 6\nexec /usr/bin/openssl "$@"' });
    const run = await withPath(bin, async () =>
      spawnSync("sh", ["-c", manifestCommand("tree", "sha256", "follow", true).text], {
        input: nulList([join(tree(), "sub", "deeper")]),
        maxBuffer: 1 << 26,
        env: { ...process.env, PATH: bin },
      }),
    );
    expect(run.status).toBe(0);
    const fields = run.stdout.toString().split("\0");
    expect(fields[0]).toBe(WAIT_MARKER);
    const parser = new ManifestParser();
    parser.push(run.stdout);
    expect(parser.finish().map((entry) => entry.hash)).toEqual([
      undefined,
      sha256(BIG.subarray(1)),
      sha256(BIG),
    ]);
  });
});
