/**
 * Issue 13 item 3: a large file goes by ranges, each verified and journaled, so an attempt cut
 * off late resumes from the last verified range. Planning and the resume decision are pure; the
 * sender itself is tested on the fleet (test/e2e/transfer-large-resume.test.ts).
 */
import { describe, expect, it } from "vitest";
import { fromRuns, toRuns } from "../../../src/transfer/batches.ts";
import {
  byRanges,
  LARGE_FILE_BYTES,
  MAX_RANGE_BYTES,
  MIN_RANGE_BYTES,
  partialPath,
  planRanges,
  type RangeProgress,
  rangeSize,
  resumeOffset,
} from "../../../src/transfer/ranges.ts";
import { file } from "../../support/manifest-entries.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe("range planning", () => {
  it("sends only large lone regular files by ranges", () => {
    expect(byRanges(file("/d/big", { size: LARGE_FILE_BYTES }))).toBe(true);
    expect(byRanges(file("/d/small", { size: LARGE_FILE_BYTES - 1 }))).toBe(false);
    expect(byRanges(file("/d/linked", { size: GiB, nlink: 2 }))).toBe(false);
    expect(byRanges(file("/d/acl", { size: GiB, xattrs: "system.posix_acl_access=0x02" }))).toBe(false);
    expect(byRanges(file(`/d/${"n".repeat(250)}`, { size: GiB }))).toBe(false);
  });

  it("cuts a file into about 64 ranges within the bounds, so one lost range is a small share", () => {
    expect(rangeSize(100 * GiB)).toBe(MAX_RANGE_BYTES);
    expect(rangeSize(200 * MiB)).toBe(MIN_RANGE_BYTES);
    expect(rangeSize(4 * GiB)).toBe(64 * MiB);
    const lengths = planRanges(300 * MiB + 5, 0);
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(300 * MiB + 5);
    expect(lengths.at(-1)).toBe(300 * MiB + 5 - (lengths.length - 1) * MIN_RANGE_BYTES);
    expect(Math.max(...lengths) / (300 * MiB)).toBeLessThan(0.05);
  });

  it("plans only what is left after a resume point", () => {
    const size = 4 * GiB;
    expect(planRanges(size, 3 * GiB).reduce((a, b) => a + b, 0)).toBe(GiB);
    expect(planRanges(size, size)).toEqual([]);
  });

  it("resumes from the journaled offset only for the same file, the same partial copy, not shorter", () => {
    const entry = file("/d/big", { size: GiB });
    const checkpoint: RangeProgress = { path: "/d/big", ino: "42", through: 900 * MiB, digest: "x" };
    expect(resumeOffset(entry, checkpoint, { ino: "42", size: 910 * MiB })).toBe(900 * MiB);
    expect(resumeOffset(entry, checkpoint, { ino: "43", size: 910 * MiB })).toBe(0);
    expect(resumeOffset(entry, checkpoint, { ino: "42", size: 800 * MiB })).toBe(0);
    expect(resumeOffset(file("/d/other", { size: GiB }), checkpoint, { ino: "42", size: GiB })).toBe(0);
    expect(resumeOffset(entry, undefined, { ino: "42", size: GiB })).toBe(0);
  });

  it("keeps the partial copy beside the file", () => {
    expect(partialPath("/srv/a/b.iso")).toBe("/srv/a/.migrate-partial.b.iso");
  });
});

describe("verified batches as runs", () => {
  it("keeps a checkpoint's batch list small and reads old plain lists", () => {
    const many = Array.from({ length: 250 }, (_, n) => n);
    expect(toRuns(many)).toEqual([[0, 249]]);
    expect(toRuns([5, 0, 1, 2, 7, 8])).toEqual([[0, 2], 5, [7, 8]]);
    expect([...fromRuns([[0, 2], 5, [7, 8]])]).toEqual([0, 1, 2, 5, 7, 8]);
    expect([...fromRuns([3, 1])].sort()).toEqual([1, 3]);
  });
});
