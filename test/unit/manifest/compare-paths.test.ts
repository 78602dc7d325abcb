import { describe, expect, it } from "vitest";
import { comparePaths } from "../../../src/manifest/model.ts";

/** Deterministic pseudo-random numbers (mulberry32), so a failure names a reproducible case. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Code points from the ranges where UTF-16 order and UTF-8 byte order disagree, and around them.
const RANGES: [number, number][] = [
  [0x20, 0x7e],
  [0x4e00, 0x4e10],
  [0xd7f0, 0xd7ff],
  [0xe000, 0xe010],
  [0xfff0, 0xfffd],
  [0x10000, 0x10010],
  [0x1f600, 0x1f610],
];

function path(next: () => number): string {
  const length = Math.floor(next() * 4);
  let text = "/srv/";
  for (let i = 0; i < length; i++) {
    const [low, high] = RANGES[Math.floor(next() * RANGES.length)]!;
    text += String.fromCodePoint(low + Math.floor(next() * (high - low + 1)));
  }
  return text;
}

describe("comparePaths", () => {
  it("orders like the UTF-8 bytes of the paths, for 5,000 seeded pairs across the BMP and beyond", () => {
    const next = random(20261125);
    for (let i = 0; i < 5000; i++) {
      const a = path(next);
      const b = next() < 0.2 ? a : path(next);
      const want = Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));
      expect(Math.sign(comparePaths(a, b)), JSON.stringify([a, b])).toBe(want);
    }
  });

  it("puts a supplementary character after every BMP character, unlike plain string order", () => {
    expect(comparePaths("/a/\u{1f600}", "/a/\uffe0")).toBeGreaterThan(0);
    expect("/a/\u{1f600}" < "/a/\uffe0").toBe(true);
    expect(comparePaths("/a", "/a/b")).toBeLessThan(0);
  });
});
