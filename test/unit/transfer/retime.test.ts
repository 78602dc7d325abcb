import { describe, expect, it } from "vitest";
import { candidate } from "../../../src/transfer/in-place.ts";
import { mtimeMatch } from "../../../src/transfer/retime.ts";
import { file } from "../../support/manifest-entries.ts";

describe("mtimes a copy kept coarser", () => {
  it("matches exactly, or to the second when the target lost the fraction", () => {
    expect(mtimeMatch("1733046300.1234567890", "1733046300.1234567890")).toBe("exact");
    // cp -r, GNU tar's default format, rsync without precise times: truncated to the second.
    expect(mtimeMatch("1733046300.9990000000", "1733046300.0000000000")).toBe("coarse");
    expect(mtimeMatch("1733046300.1234567890", "1733046300")).toBe("coarse");
    // FAT: two-second steps, rounded either way.
    expect(mtimeMatch("1733046301.5000000000", "1733046300.0000000000")).toBe("coarse");
    expect(mtimeMatch("1733046300.5000000000", "1733046302.0000000000")).toBe("coarse");
  });

  it("is no match when the target keeps a fraction of its own, or is seconds away", () => {
    expect(mtimeMatch("1733046300.1234567890", "1733046300.1234567000")).toBe("none");
    expect(mtimeMatch("1733046300.1234567890", "1733046303.0000000000")).toBe("none");
    expect(mtimeMatch("1733046300.1234567890", "1733046298.0000000000")).toBe("none");
    expect(mtimeMatch("1733046300.0000000000", "x.0")).toBe("none");
  });

  it("makes a file a candidate for the digest check only with size, type and link count equal", () => {
    const source = file("/a", { mtime: "1733046300.5000000000", size: 10 });
    expect(candidate(source, { ...source, mtime: "1733046300.5000000000" })).toBe("exact");
    expect(candidate(source, { ...source, mtime: "1733046300.0000000000" })).toBe("coarse");
    expect(candidate(source, { ...source, mtime: "1733046300.0000000000", size: 11 })).toBeUndefined();
    expect(candidate(source, { ...source, nlink: 2 })).toBeUndefined();
    expect(candidate(source, { ...source, type: "symlink" })).toBeUndefined();
    expect(candidate(source, { ...source, mtime: "1733046310.0000000000" })).toBeUndefined();
  });
});
