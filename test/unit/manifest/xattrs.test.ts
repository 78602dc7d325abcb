/**
 * Extended attributes (POSIX ACLs, file capabilities, SELinux labels, user xattrs) through the
 * manifest: read from getfattr's dump, part of what makes two trees equal, and a reason for the
 * final sync to send a file again when only they differ.
 */
import { describe, expect, it } from "vitest";
import { manifestDigest, mismatchedPaths } from "../../../src/manifest/model.ts";
import { ManifestParseError, parseManifestOutput, parseXattrs } from "../../../src/manifest/parse.ts";
import { delta } from "../../support/delta.ts";
import { file } from "../../support/manifest-entries.ts";

const HASH = "0123456789abcdef".repeat(4);
const meta = (type: string, path: string) =>
  `${type} 42 644 0 0 1700000000.5 1700000001.25 2049 7340033 1\0${path}\0\0`;
const ACL =
  "system.posix_acl_access=0x0200000001000600ffffffff04000400ffffffff10000400ffffffff20000400ffffffff";

describe("getfattr's dump", () => {
  it("gives each path its attributes as one text, sorted by name, blocks split by blank lines", async () => {
    const dump = `# file: /srv/a\nuser.z=0x31\n${ACL}\n\n\n# file: /srv/b\nuser.note=0x6869\n\n`;
    expect(parseXattrs(dump)).toEqual(
      new Map([
        ["/srv/a", `${ACL}\nuser.z=0x31`],
        ["/srv/b", "user.note=0x6869"],
      ]),
    );
  });

  it("turns getfattr's octal escapes back into the name's bytes, in paths and attribute names", async () => {
    // A newline, a backslash and UTF-8 bytes in the path; an '=' in the attribute's name.
    const dump = "# file: /srv/a\\012b\\134c/\\344\\270\\255.txt\nuser.x\\075y=0x31\n";
    expect([...parseXattrs(dump)]).toEqual([["/srv/a\nb\\c/中.txt", "user.x=y=0x31"]]);
  });

  it("keeps no entry for a path listed without attributes", async () => {
    expect(parseXattrs("# file: /srv/a\n\n# file: /srv/b\nuser.k=0x30\n")).toEqual(
      new Map([["/srv/b", "user.k=0x30"]]),
    );
  });

  it("refuses a block that does not start with its file", async () => {
    expect(() => parseXattrs("user.k=0x30\n")).toThrow(
      new ManifestParseError('bad xattr record "user.k=0x30"'),
    );
  });
});

describe("the manifest output's xattr section", () => {
  const output = (xattrs: string) =>
    Buffer.from(
      `${meta("f", "/srv/a")}${meta("f", "/srv/b")}#hashes\0${HASH}  /srv/a\0${HASH}  /srv/b\0${xattrs}`,
    );

  it("attaches attributes to their entries and marks them known", async () => {
    const parsed = parseManifestOutput(output(`#xattrs\0# file: /srv/a\nuser.k=0x30\n\0`));
    expect(parsed.map((e) => [e.path, e.xattrs])).toEqual([
      ["/srv/a", "user.k=0x30"],
      ["/srv/b", undefined],
    ]);
    expect("xattrs" in parsed[1]!).toBe(false);
  });

  it("reads a host without getfattr as attributes unknown, and nothing may follow either section", async () => {
    const parsed = parseManifestOutput(output("#noxattrs\0"));
    expect(parsed.every((e) => !("xattrs" in e))).toBe(true);
    expect(() => parseManifestOutput(output("#noxattrs\0extra\0"))).toThrow(
      new ManifestParseError("manifest output goes on after its xattr section"),
    );
    expect(() => parseManifestOutput(output("#xattrs\0# file: /srv/a\nuser.k=0x30\n\0extra\0"))).toThrow(
      new ManifestParseError("manifest output goes on after its xattr section"),
    );
    // The marker with no dump after it: the output was cut.
    expect(() => parseManifestOutput(output("#xattrs\0"))).toThrow(
      new ManifestParseError("manifest output has no xattr section"),
    );
  });
});

describe("trees that differ only in attributes", () => {
  const plain = file("/srv/a");
  const withAcl = file("/srv/a", { xattrs: ACL });

  it("are not equal: digests differ and the path is named", async () => {
    const digest = (e: typeof plain) => manifestDigest({ hash: "sha256", roots: ["/srv"], entries: [e] });
    expect(digest(withAcl)).not.toBe(digest(plain));
    expect(digest(withAcl)).not.toBe(digest(file("/srv/a", { xattrs: "user.k=0x30" })));
    expect(mismatchedPaths([withAcl], [plain])).toEqual(["/srv/a"]);
    expect(mismatchedPaths([withAcl], [file("/srv/a", { xattrs: ACL })])).toEqual([]);
  });

  it("make the final sync send the file again, whichever side lost them", async () => {
    const send = async (source: typeof plain, target: typeof plain) =>
      (await delta([source], [source], [target], new Set())).send.map((e) => e.path);
    expect(await send(withAcl, plain)).toEqual(["/srv/a"]);
    expect(await send(plain, withAcl)).toEqual(["/srv/a"]);
    expect(await send(withAcl, file("/srv/a", { xattrs: ACL }))).toEqual([]);
  });
});
