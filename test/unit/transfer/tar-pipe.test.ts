import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { batchRoots, tarCreate, tarExtract, tarList } from "../../../src/transfer/tar-pipe.ts";

describe("tar extraction on the target", () => {
  it("names the batch's roots as the only members to extract, after --", () => {
    expect(tarExtract(["/srv/portal", "/etc/portal"], false).text).toBe(
      "tar -C / -xpf - --numeric-owner    -- srv/portal etc/portal",
    );
  });

  it("keeps ACLs, xattrs and capabilities when asked", () => {
    expect(tarExtract(["/srv/a"], true).text).toContain("--acls --xattrs --xattrs-include='*'");
  });

  it("sends members of a root that is a symlink on the target into the directory it points to", () => {
    const command = tarExtract(["/srv/a.b[1]"], false, new Map([["/srv/a.b[1]", "/data/x&y"]]));
    expect(command.text).toContain("'--transform=flags=rh;s|^srv/a\\.b\\[1\\]\\(/\\|$\\)|data/x\\&y\\1|'");
  });

  it("refuses a path outside every root and names only the roots used", () => {
    expect(batchRoots(["/srv/a/x", "/srv/a"], ["/srv/a", "/srv/b"])).toEqual(["/srv/a"]);
    expect(() => batchRoots(["/srv/ab"], ["/srv/a"])).toThrow(/outside the workload's paths/);
  });

  it("with GNU tar, extracts only the named roots and renames through the transform", () => {
    const dir = mkdtempSync(join(tmpdir(), "tar-pipe-"));
    for (const file of ["src/srv/a.b[1]/f", "src/etc/evil"]) {
      mkdirSync(join(dir, file, ".."), { recursive: true });
      writeFileSync(join(dir, file), file);
    }
    mkdirSync(join(dir, "dst/data/x&y"), { recursive: true });
    mkdirSync(join(dir, "dst/srv"), { recursive: true });
    symlinkSync("../data/x&y", join(dir, "dst/srv/a.b[1]"));
    const archive = execFileSync("tar", ["-C", join(dir, "src"), "-cf", "-", "srv", "etc"]);
    const extract = tarExtract(["/srv/a.b[1]"], false, new Map([["/srv/a.b[1]", "/data/x&y"]]));
    execFileSync("sh", ["-c", extract.text.replace("-C /", `-C '${join(dir, "dst")}'`)], { input: archive });
    expect(readdirSync(join(dir, "dst/data/x&y"))).toEqual(["f"]);
    expect(readdirSync(join(dir, "dst"))).toEqual(["data", "srv"]);
  });

  it("with GNU tar and zstd, sends a batch compressed and extracts it as sent", () => {
    const dir = mkdtempSync(join(tmpdir(), "tar-pipe-"));
    const files = Array.from({ length: 50 }, (_, n) => `src/srv/a/f-${n}`);
    mkdirSync(join(dir, "src/srv/a"), { recursive: true });
    mkdirSync(join(dir, "dst"));
    for (const file of files) writeFileSync(join(dir, file), `${file}\n`.repeat(20));
    const at = (command: string, root: string) => command.replace("-C /", `-C '${join(dir, root)}'`);
    const list = tarList(files.map((file) => `/${file.slice("src/".length)}`));
    const plain = execFileSync("sh", ["-c", at(tarCreate(false).text, "src")], { input: list });
    const packed = execFileSync("sh", ["-c", at(tarCreate(false, true).text, "src")], { input: list });
    // zstd's frame magic, and the headers of 50 small members shrink to a fraction.
    expect(packed.subarray(0, 4)).toEqual(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));
    expect(packed.length).toBeLessThan(plain.length / 5);
    execFileSync("sh", ["-c", at(tarExtract(["/srv/a"], false, new Map(), true).text, "dst")], {
      input: packed,
    });
    expect(readdirSync(join(dir, "dst/srv/a"))).toHaveLength(50);
    expect(execFileSync("diff", ["-r", join(dir, "src"), join(dir, "dst")]).length).toBe(0);
  });
});
