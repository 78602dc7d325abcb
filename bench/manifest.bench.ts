/**
 * The manifest script (src/manifest/script.ts) on a local tree of 10,000 small files in
 * 100 directories, a few with a user xattr: metadata only (the final sync's listing, inside the
 * downtime) and with SHA-256 (snapshot, verify). Baseline, measured in the same run: a bare
 * `find -printf` of the same metadata, which is all the listing did before it also had to see
 * unreadable entries and extended attributes. Median of 5 runs each.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { manifestCommand, nulList } from "../src/manifest/script.ts";

const DIRS = 100;
const FILES_PER_DIR = 100;
const RUNS = 5;

function makeTree(root: string): void {
  for (let d = 0; d < DIRS; d++) {
    const dir = join(root, `d${d}`);
    mkdirSync(dir);
    for (let f = 0; f < FILES_PER_DIR; f++) writeFileSync(join(dir, `f${f}.txt`), `file ${d}/${f}\n`);
  }
  // A few attributes, so getfattr has something to print.
  const tagged = Array.from({ length: 20 }, (_, i) => join(root, `d${i}`, "f0.txt"));
  spawnSync("setfattr", ["-n", "user.origin", "-v", "bench", ...tagged]);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function timed(script: string, args: string[], input: Buffer): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const run = spawnSync("sh", ["-c", script, ...args], { input, maxBuffer: 1 << 30 });
    times.push(performance.now() - started);
    if (run.status !== 0) throw new Error(`bench: exit ${run.status}: ${run.stderr.toString().slice(-500)}`);
  }
  return median(times);
}

export async function run(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "manifest-bench-"));
  try {
    makeTree(root);
    const roots = nulList([root]);
    const bare = timed(
      `find "$1" ! -type s -printf '%y %s %m %U %G %T@ %C@ %D %i %n\\0%p\\0%l\\0'`,
      ["bare", root],
      Buffer.alloc(0),
    );
    const metadata = timed(manifestCommand("tree", "none").text, [], roots);
    const hashed = timed(manifestCommand("tree", "sha256").text, [], roots);
    const ms = (value: number) => `${value.toFixed(0)} ms`.padStart(8);
    console.log(`  ${DIRS * FILES_PER_DIR} files, median of ${RUNS}`);
    console.log(`  bare find -printf (baseline) ${ms(bare)}`);
    console.log(`  manifest, metadata only      ${ms(metadata)}  ${(metadata / bare).toFixed(2)}x baseline`);
    console.log(`  manifest with SHA-256        ${ms(hashed)}  ${(hashed / bare).toFixed(2)}x baseline`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
