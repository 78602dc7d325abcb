/**
 * The manifest script (src/manifest/script.ts) on local trees, no hosts. Median of a few runs.
 *
 * 1. 10,000 small files in 100 directories, a few with a user xattr: metadata only (the final
 *    sync's listing, inside the downtime) and with SHA-256. Baseline: a bare `find -printf` of
 *    the same metadata, all the listing did before it also had to see unreadable entries and
 *    extended attributes.
 * 2. 100,000 files of 0–4 KiB in 500 directories hashed with SHA-256 (the snapshot's shape at
 *    issue 13's size), wall and CPU time (user + sys of all the script ran). Baseline: the least
 *    a host can do for the same output — the bare `find -printf`, then
 *    `find -type f | xargs -P <cores> sha256sum`, one after the other. The script's unsorted and
 *    host-sorted outputs; then the whole collection into a manifest file through node
 *    (collectToFile, the snapshot's path) with node's own CPU time. MANIFEST_BASE=<another
 *    checkout> also runs that checkout's script and collectToFile, interleaved with these
 *    (before/after in one run).
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
  return measured(runs, script, args, input).wall;
}

/** Median wall time and CPU time (user + sys of the script and all it ran, from `times`). */
function measured(
  runs: number,
  script: string,
  args: string[],
  input: Buffer,
): { wall: number; cpu: number } {
  const walls: number[] = [];
  const cpus: number[] = [];
  const wrapped = `sh -c "$0" "$@"; s=$?; times >&2; exit $s`;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const run = spawnSync("sh", ["-c", wrapped, script, ...args], { input, maxBuffer: 1 << 30 });
    walls.push(performance.now() - started);
    if (run.status !== 0) throw new Error(`bench: exit ${run.status}: ${run.stderr.toString().slice(-500)}`);
    const children = run.stderr.toString().trim().split("\n").at(-1) ?? "";
    const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
    cpus.push(((seconds[0] ?? Number.NaN) + (seconds[1] ?? Number.NaN)) * 1000);
  }
  return { wall: median(walls), cpu: median(cpus) };
}

/** The script text and its arguments from a whole `sh -c <script> <args>` command. */
function scriptOf(command: string): string[] {
  const run = spawnSync("sh", ["-c", `set -- ${command.slice("sh -c ".length)}; printf '%s\\0' "$@"`]);
  return run.stdout.toString().split("\0").slice(0, -1);
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
    const baseline = measured(LARGE_RUNS, BARE_HASHED, ["bare", tree], Buffer.alloc(0));
    console.log(`  ${LARGE_FILES} files of 0-4 KiB hashed with SHA-256, median of ${LARGE_RUNS} (wall, CPU)`);
    const line = (name: string, value: { wall: number; cpu: number }) =>
      console.log(
        `  ${name.padEnd(44)} ${ms(value.wall)} ${ms(value.cpu)}  ${(value.wall / baseline.wall).toFixed(2)}x / ${(value.cpu / baseline.cpu).toFixed(2)}x baseline`,
      );
    line("bare find, then find | xargs sha256sum", baseline);
    const base = process.env.MANIFEST_BASE;
    const before = base
      ? ((await import(join(base, "src/manifest/script.ts"))) as { manifestCommand: typeof manifestCommand })
      : undefined;
    // Interleaved, so load that comes and goes weighs on both alike.
    const old: { wall: number; cpu: number }[] = [];
    const now: { wall: number; cpu: number }[] = [];
    const sorted: { wall: number; cpu: number }[] = [];
    for (let i = 0; i < LARGE_RUNS; i++) {
      if (before) old.push(measured(1, before.manifestCommand("tree", "sha256").text, [], roots));
      now.push(measured(1, manifestCommand("tree", "sha256").text, [], roots));
      const [text = "", ...args] = scriptOf(manifestCommand("tree", "sha256", "follow", true).text);
      sorted.push(measured(1, text, args, roots));
    }
    const mid = (values: { wall: number; cpu: number }[]) => ({
      wall: median(values.map((v) => v.wall)),
      cpu: median(values.map((v) => v.cpu)),
    });
    if (before) line(`script of ${base}`, mid(old));
    line("script, unsorted output", mid(now));
    line("script, sorted on the host (the snapshot's)", mid(sorted));
    const collectors: [string, typeof collectToFile][] = [["this checkout", collectToFile]];
    if (base) {
      const module = (await import(join(base, "src/manifest/collect-file.ts"))) as {
        collectToFile: typeof collectToFile;
      };
      collectors.unshift([base, module.collectToFile]);
    }
    const runs = new Map(collectors.map(([name]) => [name, { wall: [] as number[], cpu: [] as number[] }]));
    for (let i = 0; i < LARGE_RUNS; i++) {
      for (const [name, collect] of collectors) {
        const started = performance.now();
        const cpu = process.cpuUsage();
        await collect(
          new LocalRemote(),
          [tree],
          { hash: "sha256", signal: AbortSignal.timeout(600_000), timeoutMs: 600_000, workDir: work },
          join(work, `manifest-${i}-${collectors.findIndex(([other]) => other === name)}.jsonl.gz`),
          [tree],
        );
        const used = process.cpuUsage(cpu);
        runs.get(name)?.wall.push(performance.now() - started);
        runs.get(name)?.cpu.push((used.user + used.system) / 1000);
      }
    }
    for (const [name, run] of runs)
      console.log(
        `  collectToFile of ${name}: wall ${ms(median(run.wall))}, node's own CPU ${ms(median(run.cpu))}`,
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
