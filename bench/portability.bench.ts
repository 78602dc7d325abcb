/**
 * Cost of inventory's portability scan (header reads of executables, libraries and Java
 * archives), against a plain `find PATH | wc -l` over the same tree in the same run:
 * 1. a generated tree of 100,000 files on this machine (the inventory script through `sh -c`);
 * 2. the fleet's portal source over SSH (through the bastion, as `migrate inventory` reaches it).
 * Each side: one warm-up, then BENCH_REPETITIONS interleaved rounds, medians reported. The
 * inventory is also timed without the scan, so the scan's own share shows, and a second baseline
 * `find PATH -type f -perm -100 | wc -l` shows the part no scan can avoid: finding executables
 * means a stat of every file, which a bare `find` (directory entries only) does not make. The
 * load average is printed: on a shared machine wall times move with it.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { type Fleet, fleetUp } from "../fixtures/fleet/index.ts";
import { buildJar } from "../fixtures/fleet/jar.ts";
import { collectHost } from "../src/inventory/collect.ts";
import { type InventoryTarget, inventoryTargets } from "../src/inventory/targets.ts";
import { loadPlanOrThrow } from "../src/plan/load.ts";
import { planHosts, SshPool } from "../src/remote/pool.ts";
import { sh } from "../src/remote/shell.ts";
import type { Remote } from "../src/remote/types.ts";
import { LocalRemote } from "../test/support/local-remote.ts";

const REPETITIONS = Number(process.env.BENCH_REPETITIONS ?? 5);
const FILES = 100_000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function elf(machine: number, type: number): Buffer {
  const header = Buffer.alloc(64);
  header.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  header.writeUInt16LE(type, 16);
  header.writeUInt16LE(machine, 18);
  return header;
}

/**
 * 1,000 directories of 100 files: mostly pages, data and config, with the native share of a
 * real application tree (~1.5 %): ELF executables and libraries of two CPUs, Python and Node
 * natives, shell scripts and JARs of which some carry a JNI library.
 */
function generateTree(root: string): { candidates: number; native: number } {
  const jar = buildJar([
    { name: "META-INF/MANIFEST.MF", data: Buffer.from("Manifest-Version: 1.0\n") },
    ...Array.from({ length: 40 }, (_, i) => ({ name: `cn/gov/app/C${i}.class`, data: Buffer.alloc(900, i) })),
    { name: "native/linux-x86_64/libapp.so", data: Buffer.concat([elf(62, 3), Buffer.alloc(8000)]) },
  ]);
  const pureJar = buildJar(
    Array.from({ length: 40 }, (_, i) => ({ name: `cn/gov/lib/C${i}.class`, data: Buffer.alloc(900, i) })),
  );
  let candidates = 0;
  let native = 0;
  for (let d = 0; d < FILES / 100; d++) {
    const dir = join(root, `m${Math.floor(d / 50)}`, `d${d}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 100; f++) {
      const n = d * 100 + f;
      const file = join(dir, `f${f}`);
      if (n % 200 === 0) {
        writeFileSync(`${file}.bin`, elf(n % 400 === 0 ? 62 : 183, 2));
        chmodSync(`${file}.bin`, 0o755);
        candidates += 1;
        native += 1;
      } else if (n % 200 === 1) {
        writeFileSync(`${file}.so.1`, elf(62, 3));
        candidates += 1;
        native += 1;
      } else if (n % 1000 === 2) {
        writeFileSync(`${file}.cpython-311-x86_64-linux-gnu.so`, elf(62, 3));
        candidates += 1;
        native += 1;
      } else if (n % 5000 === 3) {
        writeFileSync(`${file}.node`, elf(62, 3));
        candidates += 1;
        native += 1;
      } else if (n % 200 === 4) {
        writeFileSync(`${file}.sh`, "#!/bin/sh\nexec true\n");
        chmodSync(`${file}.sh`, 0o755);
        candidates += 1;
      } else if (n % 500 === 5) {
        writeFileSync(`${file}.jar`, n % 1000 === 5 ? jar : pureJar);
        candidates += 1;
        if (n % 1000 === 5) native += 1;
      } else {
        writeFileSync(`${file}.html`, `<p>page ${n}</p>\n`);
      }
    }
  }
  return { candidates, native };
}

const host = { name: "local", address: "127.0.0.1", port: 22, user: "root", auth: { agent: true } } as const;

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

interface Sides {
  scan: number[];
  noScan: number[];
  find: number[];
  findPerm: number[];
}

/** Warm-up, then interleaved rounds of: inventory with the scan, without it, and find | wc. */
async function measure(
  remote: Remote,
  target: InventoryTarget,
  paths: readonly string[],
  check: (scanned: Awaited<ReturnType<typeof collectHost>>) => void,
): Promise<Sides> {
  const { scanPaths: _scan, services: _services, ...plain } = target.inputs;
  const withoutScan: InventoryTarget = { ...target, inputs: plain };
  const sides: Sides = { scan: [], noScan: [], find: [], findPerm: [] };
  for (let round = 0; round <= REPETITIONS; round++) {
    let facts: Awaited<ReturnType<typeof collectHost>> | undefined;
    const scan = await timed(async () => {
      facts = await collectHost(remote, target, { timeoutMs: 600_000 });
    });
    check(facts!);
    const noScan = await timed(() => collectHost(remote, withoutScan, { timeoutMs: 600_000 }));
    const find = await timed(() => remote.check(sh`find ${paths} | wc -l`, { timeoutMs: 600_000 }));
    const findPerm = await timed(() =>
      remote.check(sh`find ${paths} -type f -perm -100 | wc -l`, { timeoutMs: 600_000 }),
    );
    if (round === 0) continue;
    sides.scan.push(scan);
    sides.noScan.push(noScan);
    sides.find.push(find);
    sides.findPerm.push(findPerm);
  }
  return sides;
}

function print(label: string, sides: Sides): void {
  const ms = (values: number[]) => values.map((v) => Math.round(v)).join(", ");
  const [scan, noScan, find] = [median(sides.scan), median(sides.noScan), median(sides.find)];
  const findPerm = median(sides.findPerm);
  const marginal = Math.max(0, scan - noScan);
  console.log(`${label} (load average ${loadavg()[0]!.toFixed(1)}):`);
  console.log(`  inventory with scan:        median ${Math.round(scan)} ms  [${ms(sides.scan)}]`);
  console.log(`  inventory without scan:     median ${Math.round(noScan)} ms  [${ms(sides.noScan)}]`);
  console.log(`  find | wc -l (baseline):    median ${Math.round(find)} ms  [${ms(sides.find)}]`);
  console.log(
    `  find -type f -perm -100 | wc -l: median ${Math.round(findPerm)} ms  [${ms(sides.findPerm)}]`,
  );
  console.log(
    `  scan's own cost: ${Math.round(marginal)} ms = ${(marginal / find).toFixed(2)}x find | wc, ${(marginal / findPerm).toFixed(2)}x find -perm; whole inventory ${(scan / find).toFixed(2)}x find | wc`,
  );
}

async function generatedTree(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "migrate-bench-portability-"));
  try {
    const started = performance.now();
    const expected = generateTree(root);
    console.log(
      `generated ${FILES} files (${expected.candidates} executables/libraries/archives, ${expected.native} carrying native code) in ${Math.round(performance.now() - started)} ms`,
    );
    const target: InventoryTarget = {
      host,
      role: "source",
      inputs: { paths: [], postgresPorts: [], mysqlPorts: [], scanPaths: [root] },
    };
    const sides = await measure(new LocalRemote(), target, [root], (facts) => {
      const scan = facts.portability?.paths[root];
      // The figures only count if the scan read everything it should have.
      if (scan?.candidates !== expected.candidates || scan.nativeCount !== expected.native) {
        throw new Error(
          `scan found ${scan?.candidates} candidates / ${scan?.nativeCount} native, expected ${expected.candidates} / ${expected.native}`,
        );
      }
    });
    print(`generated tree, ${FILES} files, local sh`, sides);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function fleetPortal(fleet: Fleet): Promise<void> {
  const loaded = await loadPlanOrThrow(fleet.planFile);
  const target = inventoryTargets(loaded.plan).find((t) => t.host.name === "portal-src");
  if (!target?.inputs.scanPaths) throw new Error("the fleet plan has no portal-src source with paths");
  const pool = new SshPool({ hosts: planHosts(loaded.plan) });
  try {
    const remote = pool.remote("portal-src");
    const files = await remote.check(sh`find ${target.inputs.scanPaths} ! -type d | wc -l`);
    const sides = await measure(remote, target, target.inputs.scanPaths, (facts) => {
      if (!facts.portability?.paths["/srv/portal"]) throw new Error("portal was not scanned");
    });
    print(`fleet portal (${files.stdout.trim()} files, over SSH through the bastion)`, sides);
  } finally {
    await pool.close();
  }
}

export async function run(): Promise<void> {
  console.log(`repetitions: ${REPETITIONS} after one warm-up`);
  await generatedTree();
  await fleetPortal(await fleetUp());
}
