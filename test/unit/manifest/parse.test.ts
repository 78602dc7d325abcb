/**
 * The manifest script's output read field by field: every metadata field, every entry type,
 * the hash section, metadata-only listings, and each way the output can be malformed.
 */
import { describe, expect, it } from "vitest";
import { ManifestParseError, ManifestParser, parseManifestOutput } from "../../../src/manifest/parse.ts";

const HASH = "0123456789abcdef".repeat(4);
const meta = (type: string, path: string, target = "") =>
  `${type} 42 4755 1001 1002 1700000000.5 1700000001.25 2049 7340033 3\0${path}\0${target}\0`;

describe("manifest output", () => {
  it("reads every metadata field of an entry", () => {
    const [entry] = parseManifestOutput(
      Buffer.from(`${meta("f", "/x/a")}#hashes\0${HASH}  /x/a\0#noxattrs\0`),
    );
    expect(entry).toEqual({
      path: "/x/a",
      type: "file",
      size: 42,
      mode: 0o4755,
      uid: 1001,
      gid: 1002,
      mtime: "1700000000.5",
      ctime: "1700000001.25",
      dev: "2049",
      ino: "7340033",
      nlink: 3,
      hash: HASH,
    });
  });

  it("knows every entry type, keeps link targets for symlinks only, and skips unknown types", () => {
    const output = [
      meta("d", "/t/d", "ignored"),
      meta("l", "/t/l", "../d"),
      meta("p", "/t/p"),
      meta("c", "/t/c"),
      meta("b", "/t/b"),
      meta("s", "/t/socket"),
      "#hashes\0#noxattrs\0",
    ].join("");
    const entries = parseManifestOutput(Buffer.from(output));
    expect(entries.map((e) => [e.path, e.type, e.target])).toEqual([
      ["/t/b", "block", undefined],
      ["/t/c", "char", undefined],
      ["/t/d", "dir", undefined],
      ["/t/l", "symlink", "../d"],
      ["/t/p", "fifo", undefined],
    ]);
  });

  it("takes hashes written in text or binary mode, and a name that only looks like the marker", () => {
    const output = `${meta("f", "/b")}${meta("f", "#hashes")}${meta("f", "/a")}#hashes\0${HASH}  /a\0${HASH.replace("0", "f")} */b\0${HASH}  #hashes\0#noxattrs\0`;
    const entries = parseManifestOutput(Buffer.from(output));
    expect(entries.map((e) => [e.path, e.hash])).toEqual([
      ["#hashes", HASH],
      ["/a", HASH],
      ["/b", HASH.replace("0", "f")],
    ]);
  });

  it("keeps files without a hash when the listing is metadata only", () => {
    const entries = parseManifestOutput(Buffer.from(`${meta("f", "/a")}#hashes\0#noxattrs\0`), false);
    expect(entries.map((e) => [e.path, e.hash])).toEqual([["/a", undefined]]);
  });

  it("reads the same entries whichever way the output is cut into chunks", () => {
    const bytes = Buffer.from(
      `${meta("f", "/x/文件")}${meta("d", "/x")}#hashes\0${HASH}  /x/文件\0#noxattrs\0`,
    );
    const whole = parseManifestOutput(bytes);
    for (let cut = 1; cut < bytes.length; cut += 7) {
      const parser = new ManifestParser();
      parser.push(bytes.subarray(0, cut));
      parser.push(Buffer.alloc(0));
      parser.push(bytes.subarray(cut));
      expect(parser.finish(), `cut at ${cut}`).toEqual(whole);
    }
  });

  it("refuses each malformed output with a precise reason", () => {
    const refuse = (text: string) => () => parseManifestOutput(Buffer.from(text));
    expect(refuse("f 1 644 0 0 1 1 1 1\0/short\0\0#hashes\0")).toThrow(
      new ManifestParseError('bad metadata record "f 1 644 0 0 1 1 1 1" for /short'),
    );
    expect(refuse(`${meta("f", "/a")}#hashes\0not-a-hash  /a\0`)).toThrow(
      new ManifestParseError('bad hash record "not-a-hash  /a"'),
    );
    expect(refuse(`${meta("f", "/a")}#hashes\0x${HASH}  /a\0`)).toThrow(/bad hash record/);
    expect(refuse(`${meta("f", "/a")}#hashes\0${HASH}/a\0`)).toThrow(/bad hash record/);
    expect(refuse(`${meta("f", "/a")}#hashes\0${HASH}  /a`)).toThrow(
      new ManifestParseError("manifest output ends mid-record"),
    );
    expect(refuse("f 1 644 0 0 1 1 1 1 1\0/a\0")).toThrow(
      new ManifestParseError("manifest output ends mid-record"),
    );
    expect(refuse(meta("f", "/a"))).toThrow(new ManifestParseError("manifest output has no hash section"));
    expect(refuse(`${meta("f", "/a")}#hashes\0${HASH}  /a\0`)).toThrow(
      new ManifestParseError("manifest output has no xattr section"),
    );
  });
});

describe("sorted output with hashes", () => {
  const entry = (type: string, path: string) =>
    `${path}\u0001${type} 42 644 1001 1002 1700000000.5 1700000001.25 2049 7340033 1\u0001\0`;
  const keyed = (path: string, hex = HASH) => `${path}\u0001#${hex}\0`;

  it("skips #wait fields, joins each hash to the entry after it, and leaves out files without one", () => {
    const parser = new ManifestParser();
    parser.push(
      Buffer.from(
        `#wait\0#wait\0#sorted\0#noxattrs\0${entry("d", "/x")}${keyed("/x/a")}${entry("f", "/x/a")}${entry("f", "/x/gone")}${keyed("/x/中")}${entry("f", "/x/中")}#hashes\0`,
      ),
    );
    expect(parser.finish().map((e) => [e.path, e.hash])).toEqual([
      ["/x", undefined],
      ["/x/a", HASH],
      ["/x/中", HASH],
    ]);
    expect(parser.unhashed).toEqual(["/x/gone"]);
  });

  it("refuses a hash record that is not 64 hex digits, or out of order", () => {
    const refuse = (text: string) => () =>
      parseManifestOutput(Buffer.from(`#sorted\0#noxattrs\0${text}#hashes\0`));
    expect(refuse(`${keyed("/a", "xyz")}${entry("f", "/a")}`)).toThrow(/bad hash record/);
    expect(refuse(`${keyed("/b")}${keyed("/a")}`)).toThrow(/not in byte order/);
  });
});
