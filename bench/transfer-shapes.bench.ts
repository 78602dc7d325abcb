/**
 * Transfer by tree shape (issue 13), on the fleet (portal-src → tgt-1, the source behind the
 * bastion for every contender), each against `ssh src tar c | ssh tgt tar x` timed before and
 * after it in the same run:
 *   a. many small files: BENCH_SMALL (default 100,000) files of 0–4 KiB in directories of 200;
 *   b. large files: BENCH_LARGE (default 2) files of BENCH_LARGE_GIB (default 1) GiB, then the
 *      resume: the transfer is stopped at 75 % of the first file and run again from its
 *      checkpoint; the figure is the bytes sent twice against the file's size (target < 5 %).
 *      With BENCH_LARGE_REFLINK=1 the source tree is a loop-mounted XFS image (reflink=1) on the
 *      source host: one file of random data and reflinked copies whose first MiB is overwritten
 *      with other random data, so the contents differ but the source holds about one file's
 *      blocks (8 × 4 GiB needs 4 GiB there instead of 32); it needs xfsprogs and loop devices.
 * Each contender writes its own tree; small trees are deleted on the target only at the end (see
 * transfer.bench.ts on ext4's inode quarantine), each large copy as soon as it is timed (the
 * disk holds one at a time).
 * With BENCH_BASE=<another checkout>[,<another>…] (npm ci'd), the small shape is a before/after
 * in one run instead: BENCH_PAIRS (default 2) rounds of those checkouts' transfers and this
 * one's, in turn (the order reversed every round), each in a process of its own with its
 * checkout's bin/migrate V8 flags (transfer-contender.ts), a pipe before the first round and
 * after every round.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { hostExec } from "../fixtures/fleet/host-exec.ts";
import { readFleet } from "../fixtures/fleet/index.ts";
import { snapshot } from "../src/steps/snapshot.ts";
import { transfer } from "../src/steps/transfer.ts";
import { benchRun, machineCpuSeconds, peakRss } from "./transfer-context.ts";

const SMALL = Number(process.env.BENCH_SMALL ?? 100_000);
const LARGE = Number(process.env.BENCH_LARGE ?? 2);
const LARGE_GIB = Number(process.env.BENCH_LARGE_GIB ?? 1);
const DIR = "/opt/migrate-shapes";
const SEED = "/var/tmp/migrate-shapes-seed";
const REFLINK = process.env.BENCH_LARGE_REFLINK === "1";
/** The XFS image behind the reflinked source tree, in the source host's own /opt layer. */
const IMAGE = `${DIR}-large.xfs`;
const MiB = 1024 * 1024;

async function onHost(host: string, script: string): Promise<string> {
  const result = await hostExec(host, script, { timeoutMs: 60 * 60_000 });
  if (result.code !== 0) throw new Error(`${host}: ${script}: ${result.stderr}`);
  return result.stdout;
}

/** Written once on this machine under /var/tmp (the lower layer of every fleet host's /var). */
function seed(shape: "small" | "large"): string {
  const dir = `${SEED}-${shape}-${shape === "small" ? SMALL : `${LARGE}x${LARGE_GIB}`}`;
  if (existsSync(`${dir}/.complete`)) return dir;
  const script = `
import os, random, sys
d, shape, small, large, gib = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
random.seed(13)
if shape == "small":
    for i in range(small):
        sub = f"{d}/d{i // 200}"
        if i % 200 == 0: os.makedirs(sub, exist_ok=True)
        open(f"{sub}/f-{i}.dat", "wb").write(os.urandom(random.randint(0, 4096)))
else:
    os.makedirs(d, exist_ok=True)
    for n in range(large):
        with open(f"{d}/archive-{n}.bin", "wb") as f:
            for _ in range(int(gib * 64)):
                f.write(os.urandom(16 << 20))
open(f"{d}/.complete", "w").close()
`;
  const made = spawnSync(
    "python3",
    ["-c", script, dir, shape, String(SMALL), String(LARGE), String(LARGE_GIB)],
    {
      stdio: "inherit",
    },
  );
  if (made.status !== 0) throw new Error("seeding failed");
  return dir;
}

/**
 * The large tree on the source as reflinked copies on a loop-mounted XFS image: the first file
 * is random data, every other one a reflink of it whose first MiB is new random data.
 */
async function reflinkTree(tree: string): Promise<void> {
  const gib = Math.ceil(LARGE_GIB) + 1;
  await onHost(
    "portal-src",
    `set -e
truncate -s ${gib}G ${IMAGE} && mkfs.xfs -q -f -m reflink=1 ${IMAGE}
mkdir -p ${tree} && mount -o loop ${IMAGE} ${tree}
python3 -c 'import os, sys
with open(sys.argv[1], "wb") as f:
    for _ in range(int(float(sys.argv[2]) * 64)): f.write(os.urandom(16 << 20))' ${tree}/archive-0.bin ${LARGE_GIB}
for n in $(seq 1 ${LARGE - 1}); do
  cp --reflink=always ${tree}/archive-0.bin ${tree}/archive-$n.bin
  dd if=/dev/urandom of=${tree}/archive-$n.bin bs=1M count=1 conv=notrunc status=none
done
sync`,
  );
}

async function dropReflinkTree(tree: string): Promise<void> {
  await onHost("portal-src", `umount ${tree} 2>/dev/null; rm -rf ${tree} ${IMAGE}`);
}

/** Wall seconds of `run`; the machine's CPU seconds over it go to `cpu` when given. */
function seconds(run: () => void, cpu?: number[]): number {
  const machine = machineCpuSeconds();
  const started = performance.now();
  run();
  cpu?.push(machineCpuSeconds() - machine);
  return (performance.now() - started) / 1000;
}

export async function run(): Promise<void> {
  const fleet = readFleet();
  const config = fleet.client.sshConfig;
  // The machine's CPU seconds of every pipe, in order (the hosts share its cores).
  const pipeCpu: number[] = [];
  const pipe = (tree: string, to: string) =>
    seconds(() => {
      const result = spawnSync("sh", [
        "-c",
        `ssh -F ${config} portal-src 'tar -C / -cf - ${tree.slice(1)}' | ssh -F ${config} tgt-1 'mkdir -p ${to} && tar -C ${to} -xpf -'`,
      ]);
      if (result.status !== 0) throw new Error(`tar pipe: ${result.stderr}`);
    }, pipeCpu);
  const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  const shapes = (process.env.BENCH_SHAPES ?? "small,large").split(",") as ("small" | "large")[];
  if (REFLINK) await dropReflinkTree(`${DIR}-large`);
  await Promise.all(["tgt-1", "portal-src"].map((host) => onHost(host, `rm -rf ${DIR}-*`)));

  for (const shape of shapes) {
    const tree = `${DIR}-${shape}`;
    if (shape === "small" && process.env.BENCH_BASE) {
      await onHost("portal-src", `cp -a ${seed(shape)} ${tree} && rm ${tree}/.complete`);
      await compare(process.env.BENCH_BASE, fleet.planFile, tree, pipe, load, pipeCpu);
      continue;
    }
    if (shape === "large" && REFLINK) await reflinkTree(tree);
    else await onHost("portal-src", `cp -a ${seed(shape)} ${tree} && rm ${tree}/.complete`);
    const out = await onHost(
      "portal-src",
      `echo "$(find ${tree} -type f | wc -l) $(du -sb --apparent-size ${tree} | cut -f1)"`,
    );
    const [files = 0, bytes = 0] = out.trim().split(" ").map(Number);
    // One large copy at a time on the target: each is deleted once timed.
    const drop = (copy: string) =>
      shape === "large" ? onHost("tgt-1", `rm -rf ${copy}`) : Promise.resolve("");
    const before = pipe(tree, `${DIR}-pipe-${shape}-1`);
    await drop(`${DIR}-pipe-${shape}-1`);
    const bench = benchRun(fleet.planFile, { source: "portal-src", target: "tgt-1", paths: [tree] });
    bench.record("snapshot", await snapshot.run(bench.inputs.snapshot, bench.context("snapshot")));
    const machine = machineCpuSeconds();
    const started = performance.now();
    const moved = await peakRss(() => transfer.run(bench.inputs.transfer, bench.context("transfer")));
    const ours = (performance.now() - started) / 1000;
    const oursCpu = machineCpuSeconds() - machine;
    await drop(tree);
    const after = pipe(tree, `${DIR}-pipe-${shape}-2`);
    await drop(`${DIR}-pipe-${shape}-2`);
    const baseline = (before + after) / 2;
    console.log(
      `${shape}: ${files} files, ${(bytes / MiB).toFixed(0)} MiB | pipe ${before.toFixed(1)} s, ${after.toFixed(1)} s | migrate transfer ${ours.toFixed(1)} s (machine CPU ${oursCpu.toFixed(1)} s against the pipes' ${pipeCpu
        .slice(-2)
        .map((cpu) => cpu.toFixed(1))
        .join(
          " s, ",
        )} s; ${moved.value.bytesSent} bytes on the wire, peak RSS ${(moved.peakBytes / MiB).toFixed(0)} MiB) => ${(baseline / ours).toFixed(2)}x the pipe's throughput (target >= 0.9x); load ${load()}`,
    );
    await bench.close();
    if (shape === "large") await resume(fleet.planFile, tree);
    if (shape === "large" && REFLINK) await dropReflinkTree(tree);
  }
  await Promise.all(["tgt-1", "portal-src"].map((host) => onHost(host, `rm -rf ${DIR}-*`)));
}

interface Contender {
  seconds: number;
  cpuUser: number;
  cpuSystem: number;
  /** The whole machine's CPU seconds over the step (absent from an older contender script). */
  machineCpu?: number;
  gcCount: number;
  gcSeconds: number;
  gcMajors: number;
  gcMajorSeconds: number;
  bytesSent: number;
  peakRssMiB: number;
}

/** The V8 flags a checkout's bin/migrate starts node with (its shebang). */
function cliFlags(checkout: string): string[] {
  const shebang = readFileSync(`${checkout}/bin/migrate`, "utf8").split("\n")[0] ?? "";
  return shebang.split(/\s+/).filter((word) => word.startsWith("--"));
}

function contender(checkout: string, planFile: string, tree: string): Contender {
  const here = fileURLToPath(new URL(".", import.meta.url));
  const child = spawnSync(
    process.execPath,
    [...cliFlags(checkout), "--import", "tsx", `${here}transfer-contender.ts`, checkout, planFile, tree],
    { cwd: `${here}..`, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  );
  if (child.status !== 0) throw new Error(`contender ${checkout} failed: ${child.stdout}`);
  return JSON.parse(child.stdout.trim().split("\n").at(-1)!) as Contender;
}

/** Before/after rounds of the small shape: the `bases`' transfers and this checkout's, in turn. */
async function compare(
  bases: string,
  planFile: string,
  tree: string,
  pipe: (tree: string, to: string) => number,
  load: () => string,
  pipeCpu: readonly number[],
): Promise<void> {
  const ours = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
  const pairs = Number(process.env.BENCH_PAIRS ?? 2);
  let pipes = [pipe(tree, `${DIR}-pipe-0`)];
  let copies = 0;
  for (let pair = 0; pair < pairs; pair++) {
    const contenders = [...bases.split(","), ours];
    const order = pair % 2 === 0 ? contenders : contenders.reverse();
    const runs = [];
    for (const checkout of order) {
      const result = contender(checkout, planFile, tree);
      // The next contender writes a fresh tree: a rename, not a deletion (ext4's quarantine).
      await onHost("tgt-1", `mv ${tree} ${DIR}-copy-${copies++}`);
      runs.push({ checkout, result });
    }
    pipes = [pipes.at(-1)!, pipe(tree, `${DIR}-pipe-${pair + 1}`)];
    const faster = Math.min(...pipes);
    const mean = (pipes[0]! + pipes[1]!) / 2;
    const pipesCpu = pipeCpu.slice(-2).map((s) => s.toFixed(1));
    for (const { checkout, result: r } of runs)
      console.log(
        `small, pair ${pair + 1}, ${checkout === ours ? "this checkout" : "base"} (${checkout}): transfer ${r.seconds.toFixed(1)} s, machine CPU ${r.machineCpu?.toFixed(1) ?? "?"} s (the pipes' ${pipesCpu.join(" s, ")} s), node CPU ${(r.cpuUser + r.cpuSystem).toFixed(1)} s (user ${r.cpuUser.toFixed(1)}, system ${r.cpuSystem.toFixed(1)}), gc ${r.gcSeconds.toFixed(2)} s in ${r.gcCount} (major ${r.gcMajorSeconds.toFixed(2)} s in ${r.gcMajors}), ${r.bytesSent} bytes on the wire, peak RSS ${r.peakRssMiB.toFixed(0)} MiB | pipes ${pipes.map((s) => s.toFixed(1)).join(" s, ")} s => ${(mean / r.seconds).toFixed(2)}x the mean pipe, ${(faster / r.seconds).toFixed(2)}x the faster; load ${load()}`,
      );
  }
}

/**
 * (b) resumed: the transfer of a fresh target copy is stopped (its signal aborted, as a crash
 * stops it) once 75 % of the first file is verified, then run again from the last checkpoint.
 */
export async function resume(planFile: string, tree: string): Promise<void> {
  await onHost("tgt-1", `rm -rf ${tree}`);
  const bench = benchRun(planFile, { source: "portal-src", target: "tgt-1", paths: [tree] });
  bench.record("snapshot", await snapshot.run(bench.inputs.snapshot, bench.context("snapshot")));
  const size = LARGE_GIB * 1024 * MiB;
  const stop = new AbortController();
  const context = bench.context("transfer");
  const first = {
    ...context,
    signal: stop.signal,
    checkpoint: async (data: Parameters<typeof context.checkpoint>[0]) => {
      await context.checkpoint(data);
      if ((data.large?.current?.through ?? 0) >= size * 0.75) stop.abort(new Error("stopped at 75 %"));
    },
  };
  await transfer.run(bench.inputs.transfer, first).catch(() => {});
  const again = bench.context("transfer");
  const through = again.lastCheckpoint?.large?.current?.through ?? 0;
  // What reached the target of the first file: its partial copy grows by appends only.
  const sent = Number(
    await onHost("tgt-1", `stat -c %s ${tree}/.migrate-partial.archive-0.bin 2>/dev/null || echo 0`),
  );
  const second = await transfer.run(bench.inputs.transfer, again);
  const resent = Math.max(0, sent - (second.bytesResumed ?? 0));
  console.log(
    `large, resumed: stopped with ${(sent / MiB).toFixed(0)} MiB of the first ${LARGE_GIB} GiB file on the target and ${(through / MiB).toFixed(0)} MiB verified; the next attempt resumed from ${((second.bytesResumed ?? 0) / MiB).toFixed(0)} MiB: ${(resent / MiB).toFixed(1)} MiB sent twice = ${((resent / size) * 100).toFixed(2)} % of the file (target < 5 %)`,
  );
  await bench.close();
}
