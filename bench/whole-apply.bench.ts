/**
 * A whole `migrate apply` (snapshot, transfer, reconfigure, cutover, verify) against what an
 * operator would do by hand for the same copy (issue 13): `ssh src tar c | ssh tgt tar x`, then
 * `sha256sum` of every file on both hosts at once to know the copy is right. Both run on the
 * fleet (portal-src → tgt-1), on the same tree, in the same run; the hand-made copy is timed
 * before and after migrate and averaged. Target: migrate ≤ 1.2× the pipe plus the checksums.
 *
 * WHOLE_SHAPES picks the trees (comma-separated, default `small:100000,mixed,large:2x1`):
 *   small:N   N files of 0–4 KiB in directories of 200 (the million-file shape is small:1000000);
 *   mixed     10,000 files of 4 KiB and 1.1 GiB in all, the rest in files of 256 MiB;
 *   large:KxG K files of G GiB.
 * Trees are written once on this machine under /var/tmp (the lower layer of every fleet host's
 * /var) and copied inside the source host; every contender writes its own target tree, and
 * nothing is deleted until the shape is done (see transfer.bench.ts on ext4's inode quarantine).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { stringify } from "yaml";
import { hostExec } from "../fixtures/fleet/host-exec.ts";
import { readFleet } from "../fixtures/fleet/index.ts";
import { measuredApply, stepSeconds } from "./apply-process.ts";
import { benchPlanInput } from "./transfer-context.ts";

const DIR = "/opt/migrate-whole";
const MiB = 1024 * 1024;

interface Shape {
  name: string;
  /** Arguments of the seeding script: small-file count, small max bytes, large count, large bytes. */
  seed: [number, number, number, number];
}

function parseShape(text: string): Shape {
  const [kind, arg = ""] = text.split(":");
  if (kind === "small") return { name: `small-${arg}`, seed: [Number(arg || 100_000), 4096, 0, 0] };
  if (kind === "mixed") {
    const total = Math.floor(1.1 * 1024 ** 3) - 10_000 * 4096;
    return { name: "mixed", seed: [10_000, -4096, Math.ceil(total / (256 * MiB)), total] };
  }
  if (kind === "large") {
    const [count = "2", gib = "1"] = arg.split("x");
    const each = Math.floor(Number(gib) * 1024 ** 3);
    return { name: `large-${count}x${gib}`, seed: [0, 0, Number(count), each * Number(count)] };
  }
  throw new Error(`WHOLE_SHAPES: unknown shape ${text} (small:N, mixed, large:KxG)`);
}

/**
 * Small files: a negative max means exactly that size, else random sizes up to it. Large files
 * share `largeBytes` evenly, the last one taking what is left.
 */
function seed(shape: Shape): string {
  const dir = `/var/tmp/migrate-whole-seed-${shape.name}`;
  if (existsSync(`${dir}/.complete`)) return dir;
  const script = `
import os, random, sys
d = sys.argv[1]
small, small_max, large, large_bytes = (int(a) for a in sys.argv[2:6])
random.seed(13)
for i in range(small):
    sub = f"{d}/d{i // 200}"
    if i % 200 == 0: os.makedirs(sub, exist_ok=True)
    size = -small_max if small_max < 0 else random.randint(0, small_max)
    open(f"{sub}/f-{i}.dat", "wb").write(os.urandom(size))
os.makedirs(d, exist_ok=True)
left = large_bytes
for n in range(large):
    size = left if n == large - 1 else large_bytes // large
    with open(f"{d}/archive-{n}.bin", "wb") as f:
        while f.tell() < size:
            f.write(os.urandom(min(16 << 20, size - f.tell())))
    left -= size
open(f"{d}/.complete", "w").close()
`;
  rmSync(dir, { recursive: true, force: true });
  const made = spawnSync("python3", ["-c", script, dir, ...shape.seed.map(String)], { stdio: "inherit" });
  if (made.status !== 0) throw new Error(`seeding ${shape.name} failed`);
  return dir;
}

async function onHost(host: string, script: string): Promise<string> {
  const result = await hostExec(host, script, { timeoutMs: 3 * 60 * 60_000 });
  if (result.code !== 0) throw new Error(`${host}: ${script}: ${result.stderr}`);
  return result.stdout;
}

const checksums = (tree: string) =>
  `cd ${tree} && find . -type f -print0 | xargs -0 -r sha256sum > /dev/null`;

/** The hand-made copy of `tree` to `to` on the target, then both trees' checksums at once. */
async function byHand(config: string, tree: string, to: string): Promise<{ pipe: number; sums: number }> {
  const started = performance.now();
  const piped = spawnSync("sh", [
    "-c",
    `ssh -F ${config} portal-src 'tar -C ${tree} -cf - .' | ssh -F ${config} tgt-1 'mkdir -p ${to} && tar -C ${to} -xpf -'`,
  ]);
  if (piped.status !== 0) throw new Error(`tar pipe: ${piped.stderr}`);
  const pipe = (performance.now() - started) / 1000;
  await Promise.all([onHost("portal-src", checksums(tree)), onHost("tgt-1", checksums(to))]);
  return { pipe, sums: (performance.now() - started) / 1000 - pipe };
}

export async function run(): Promise<void> {
  const fleet = readFleet();
  const config = fleet.client.sshConfig;
  const binary = process.env.MIGRATE_BIN ?? new URL("../bin/migrate", import.meta.url).pathname;
  const shapes = (process.env.WHOLE_SHAPES ?? "small:100000,mixed,large:2x1").split(",").map(parseShape);
  const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  console.log(`  migrate: ${binary}`);
  await Promise.all(["tgt-1", "portal-src"].map((host) => onHost(host, `rm -rf ${DIR}-*`)));
  for (const shape of shapes) {
    const tree = `${DIR}-${shape.name}`;
    const seeded = seed(shape);
    const [files = 0, bytes = 0] = (
      await onHost(
        "portal-src",
        `cp -a ${seeded} ${tree} && rm ${tree}/.complete && echo "$(find ${tree} -type f | wc -l) $(du -sb ${tree} | cut -f1)"`,
      )
    )
      .trim()
      .split(" ")
      .map(Number);
    const before = await byHand(config, tree, `${tree}-hand-1`);

    const dir = mkdtempSync(join(tmpdir(), "bench-whole-"));
    const plan = join(dir, "plan.yaml");
    const input = benchPlanInput(fleet.planFile, { source: "portal-src", target: "tgt-1", paths: [tree] });
    writeFileSync(
      plan,
      stringify({ ...input, metadata: { ...(input.metadata as object), name: "bench-whole" } }),
    );
    const ours = measuredApply(binary, plan, join(dir, "state"));
    if (ours.code !== 0) throw new Error(`migrate apply of ${tree} exited ${ours.code}: ${ours.stderr}`);
    const steps = Object.entries(stepSeconds(join(dir, "state"), "bench-whole"))
      .map(([step, seconds]) => `${step} ${seconds.toFixed(1)} s`)
      .join(", ");
    rmSync(dir, { recursive: true, force: true });

    const after = await byHand(config, tree, `${tree}-hand-2`);
    const pipe = (before.pipe + after.pipe) / 2;
    const sums = (before.sums + after.sums) / 2;
    console.log(
      `  ${shape.name}: ${files} files, ${(bytes / MiB).toFixed(0)} MiB | by hand: tar pipe ${before.pipe.toFixed(1)} / ${after.pipe.toFixed(1)} s + sha256sum of both ${before.sums.toFixed(1)} / ${after.sums.toFixed(1)} s | migrate apply ${ours.seconds.toFixed(1)} s, peak RSS ${ours.peakMiB.toFixed(0)} MiB (${steps}) => ${(ours.seconds / (pipe + sums)).toFixed(2)}x the pipe plus checksums (target <= 1.2x), ${(ours.seconds / pipe).toFixed(2)}x the pipe alone; load ${load()}`,
    );
    await Promise.all(["tgt-1", "portal-src"].map((host) => onHost(host, `rm -rf ${tree} ${tree}-*`)));
  }
}
