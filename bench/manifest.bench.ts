/**
 * The manifest script (src/manifest/script.ts) on local trees, no hosts. Median of a few runs.
 *
 * 1. 10,000 small files in 100 directories, a few with a user xattr: metadata only (the final
 *    sync's listing, inside the downtime) and with SHA-256. Baseline: a bare `find -printf` of
 *    the same metadata, all the listing did before it also had to see unreadable entries and
 *    extended attributes.
 * 2. 100,000 files of 0–4 KiB in 500 directories hashed with SHA-256 (the snapshot's shape at
 *    issue 13's size). Baseline: the least a host can do for the same output — the bare
 *    `find -printf`, then `find -type f | xargs -P <cores> sha256sum`, one after the other.
 *    MANIFEST_BASE=<another checkout> also runs that checkout's script (before/after in one run).
 *    Then the whole collection into a manifest file through node (collectToFile, the snapshot's
 *    path), against the script alone: node's own share (parse, sort, write).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { collectToFile } from "../src/manifest/collect-file.ts";
import { manifestCommand, nulList } from "../src/manifest/script.ts";
import { LocalRemote } from "../test/support/local-remote.ts";

const RUNS = 5;
const LARGE_RUNS = 3;
const LARGE_DIRS = 500;
const LARGE_FILES = 100_000;

function makeTree(root: string, dirs: number, perDir: number, size: (index: number) => number): void {
  let index = 0;
  for (let d = 0; d < dirs; d++) {
    const dir = join(root, `d${d}`);
    mkdirSync(dir);
    for (let f = 0; f < perDir; f++) {
      const fill = `file ${d}/${f}\n`;
      writeFileSync(join(dir, `f${f}.txt`), fill.repeat(Math.ceil(size(index++) / fill.length) || 0));
    }
  }
  // A few attributes, so getfattr has something to print.
  const tagged = Array.from({ length: 20 }, (_, i) => join(root, `d${i}`, "f0.txt"));
  spawnSync("setfattr", ["-n", "user.origin", "-v", "bench", ...tagged]);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function timed(runs: number, script: string, args: string[], input: Buffer): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const run = spawnSync("sh", ["-c", script, ...args], { input, maxBuffer: 1 << 30 });
    times.push(performance.now() - started);
    if (run.status !== 0) throw new Error(`bench: exit ${run.status}: ${run.stderr.toString().slice(-500)}`);
  }
  return median(times);
}

const BARE = `find "$1" ! -type s -printf '%y %s %m %U %G %T@ %C@ %D %i %n\\0%p\\0%l\\0'`;
const BARE_HASHED = `${BARE}; find "$1" -type f -print0 | xargs -0 -r -P "$(nproc)" -n 500 sha256sum -z`;
const ms = (value: number) => `${value.toFixed(0)} ms`.padStart(9);

async function small(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "manifest-bench-"));
  try {
    makeTree(root, 100, 100, () => 12);
    const roots = nulList([root]);
    const bare = timed(RUNS, BARE, ["bare", root], Buffer.alloc(0));
    const metadata = timed(RUNS, manifestCommand("tree", "none").text, [], roots);
    const hashed = timed(RUNS, manifestCommand("tree", "sha256").text, [], roots);
    console.log(`  10000 files, median of ${RUNS}`);
    console.log(`  bare find -printf (baseline) ${ms(bare)}`);
    console.log(`  manifest, metadata only      ${ms(metadata)}  ${(metadata / bare).toFixed(2)}x baseline`);
    console.log(`  manifest with SHA-256        ${ms(hashed)}  ${(hashed / bare).toFixed(2)}x baseline`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function large(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "manifest-bench-large-"));
  const work = mkdtempSync(join(tmpdir(), "manifest-bench-work-"));
  try {
    const tree = join(root, "tree");
    mkdirSync(tree);
    makeTree(tree, LARGE_DIRS, LARGE_FILES / LARGE_DIRS, (index) => (index * 2_654_435_761) % 4097);
    const roots = nulList([tree]);
    const baseline = timed(LARGE_RUNS, BARE_HASHED, ["bare", tree], Buffer.alloc(0));
    const script = timed(LARGE_RUNS, manifestCommand("tree", "sha256").text, [], roots);
    console.log(`  ${LARGE_FILES} files of 0-4 KiB hashed with SHA-256, median of ${LARGE_RUNS}`);
    console.log(`  bare find, then find | xargs sha256sum (baseline) ${ms(baseline)}`);
    const base = process.env.MANIFEST_BASE;
    if (base) {
      const before = (await import(join(base, "src/manifest/script.ts"))) as {
        manifestCommand: typeof manifestCommand;
      };
      const old = timed(LARGE_RUNS, before.manifestCommand("tree", "sha256").text, [], roots);
      console.log(`  manifest script of ${base}  ${ms(old)}  ${(old / baseline).toFixed(2)}x baseline`);
    }
    console.log(`  manifest script           ${ms(script)}  ${(script / baseline).toFixed(2)}x baseline`);
    const times: number[] = [];
    for (let i = 0; i < LARGE_RUNS; i++) {
      const started = performance.now();
      await collectToFile(
        new LocalRemote(),
        [tree],
        { hash: "sha256", signal: AbortSignal.timeout(600_000), timeoutMs: 600_000, workDir: work },
        join(work, `manifest-${i}.jsonl.gz`),
        [tree],
      );
      times.push(performance.now() - started);
    }
    const whole = median(times);
    console.log(
      `  script + node (collectToFile) ${ms(whole)}  ${(whole / baseline).toFixed(2)}x baseline; node's share ${ms(whole - script)}`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  await small();
  await large();
}
