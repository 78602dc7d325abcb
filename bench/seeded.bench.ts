/**
 * A target that already holds the workload (issue 20): 2 GiB on portal-src and the same tree on
 * tgt-1 (copied with `cp -a`, as a seed import or a hand copy leaves it), then 1 % of the files
 * changed on the source. Measured in the same run, over the same SSH (source through the bastion):
 *   - bytes sent by migrate's transfer step vs the bytes of the changed files (target ≤ 1.2x);
 *   - its wall time vs `rsync -a` of the same state, pushed source → target (target ≤ 1.2x),
 *     rsync timed before and after migrate, each from a fresh copy of the old target tree.
 * The snapshot (the source-side manifest with hashes, which every apply makes before the
 * transfer) is timed apart and reported too, so the whole cost is on the table.
 * BENCH_SEEDED_BYTES changes the size (default 2 GiB).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { hostExec } from "../fixtures/fleet/host-exec.ts";
import { readFleet } from "../fixtures/fleet/index.ts";
import { snapshot } from "../src/steps/snapshot.ts";
import { transfer } from "../src/steps/transfer.ts";
import { benchRun } from "./transfer-context.ts";

const BYTES = Number(process.env.BENCH_SEEDED_BYTES ?? 2 * 1024 ** 3);
const DIR = "/opt/migrate-bench-seeded";
const SEED = "/var/tmp/migrate-bench-seeded";
const KEY_ON_SOURCE = "/root/.migrate-bench-seeded-key";
const MiB = 1024 * 1024;

/**
 * The data set, written once on this machine under /var/tmp (the lower layer of every fleet
 * host's /var): 6,000 files from 4 KiB to 1 MiB (log-uniform, as a portal's pages, images and
 * documents are) under 60 directories, and the rest in 256 MiB archives.
 */
function seedData(): void {
  if (existsSync(`${SEED}/.complete`)) return;
  const script = `
import os, random, sys
seed, total = sys.argv[1], int(sys.argv[2])
rng = random.Random(20)
left = total
for i in range(6000):
    d = f"{seed}/docs/{i // 100}"
    os.makedirs(d, exist_ok=True)
    size = int(4096 * (256 ** rng.random()))
    open(f"{d}/doc-{i}.bin", "wb").write(os.urandom(size))
    left -= size
os.makedirs(f"{seed}/archive", exist_ok=True)
n = 0
while left > 0:
    size = min(left, 256 << 20)
    with open(f"{seed}/archive/part-{n}.bin", "wb") as f:
        for _ in range(0, size, 16 << 20):
            f.write(os.urandom(min(16 << 20, size - f.tell())))
    left, n = left - size, n + 1
open(f"{seed}/.complete", "w").close()
`;
  rmSync(SEED, { recursive: true, force: true });
  const made = spawnSync("python3", ["-c", script, SEED, String(BYTES)], { stdio: "inherit" });
  if (made.status !== 0) throw new Error("seeding the benchmark data failed");
}

async function onHost(host: string, script: string): Promise<string> {
  const result = await hostExec(host, script, { timeoutMs: 30 * 60_000 });
  if (result.code !== 0) throw new Error(`${host}: ${script}: ${result.stderr}`);
  return result.stdout;
}

function timed(label: string, command: string): { seconds: number; stdout: string } {
  const started = performance.now();
  const result = spawnSync("sh", ["-c", command], { encoding: "utf8", maxBuffer: 64 * MiB });
  if (result.status !== 0) throw new Error(`${label} failed: ${result.stderr}`);
  return { seconds: (performance.now() - started) / 1000, stdout: result.stdout };
}

export async function run(): Promise<void> {
  const fleet = readFleet();
  const config = fleet.client.sshConfig;
  const tgt = fleet.hosts.find((h) => h.name === "tgt-1")!.address;
  seedData();
  await Promise.all(["portal-src", "tgt-1"].map((host) => onHost(host, `rm -rf ${DIR} ${DIR}-*`)));
  // The same tree on both hosts, times and owners kept: the target "already holds" it.
  await Promise.all(
    ["portal-src", "tgt-1"].map((host) => onHost(host, `cp -a ${SEED} ${DIR} && rm ${DIR}/.complete`)),
  );
  const [files, bytes] = (
    await onHost("portal-src", `echo "$(find ${DIR} -type f | wc -l) $(du -sb ${DIR} | cut -f1)"`)
  )
    .trim()
    .split(" ")
    .map(Number) as [number, number];
  // 1 % of the files (every 100th in path order) get new content and a new mtime.
  const changed = await onHost(
    "portal-src",
    `find ${DIR} -type f | sort | awk 'NR % 100 == 0' > /tmp/changed && while IFS= read -r f; do head -c 1024 /dev/urandom | dd of="$f" bs=1024 seek=1 conv=notrunc 2>/dev/null; touch "$f"; done < /tmp/changed && echo "$(wc -l < /tmp/changed) $(xargs -d '\\n' stat -c %s < /tmp/changed | awk '{s+=$1} END {print s}')"`,
  );
  const [changedFiles, changedBytes] = changed.trim().split(" ").map(Number) as [number, number];
  // Untouched copies of the old target tree, one per rsync run.
  await onHost(
    "tgt-1",
    `cp -a ${DIR} ${DIR}-rsync1 && cp -a ${DIR} ${DIR}-rsync2 && cp -a ${DIR} ${DIR}-rsyncc`,
  );
  const key = readFileSync(fleet.client.keyFile, "utf8");
  await onHost("portal-src", `umask 077 && printf '%s' '${key}' > ${KEY_ON_SOURCE}`);
  const rsync = (to: string, flags = "-a") =>
    timed(
      "rsync",
      `ssh -F ${config} portal-src "rsync ${flags} --stats -e 'ssh -i ${KEY_ON_SOURCE} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR' ${DIR}/ root@${tgt}:${to}/"`,
    );
  const rsyncBytes = (stdout: string) =>
    Number(/Total bytes sent: ([\d,]+)/.exec(stdout)?.[1]?.replaceAll(",", "") ?? 0);

  const before = rsync(`${DIR}-rsync1`);
  const bench = benchRun(fleet.planFile, { source: "portal-src", target: "tgt-1", paths: [DIR] });
  const snapStarted = performance.now();
  bench.record("snapshot", await snapshot.run(bench.inputs.snapshot, bench.context("snapshot")));
  const snapSeconds = (performance.now() - snapStarted) / 1000;
  const started = performance.now();
  const moved = await transfer.run(bench.inputs.transfer, bench.context("transfer"));
  const ours = (performance.now() - started) / 1000;
  await bench.close();
  const after = rsync(`${DIR}-rsync2`);
  // rsync that does not trust size and mtime either: --checksum hashes every same-size file on
  // both hosts, as migrate's snapshot (source) and in-place check (target) do.
  const checksum = rsync(`${DIR}-rsyncc`, "-a --checksum");
  // A plain parallel hash of the tree on the target (OpenSSL, 2,000 files per process, one
  // process per CPU, files in `find` order, not balanced by size), for scale.
  const floor = timed(
    "hashing on the target",
    `ssh -F ${config} tgt-1 'find ${DIR} -type f -print0 | xargs -0 -n 2000 -P "$(nproc)" openssl dgst -sha256 -r > /dev/null'`,
  );
  const rsyncMean = (before.seconds + after.seconds) / 2;
  const sent = moved.bytesSent as number;
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

  console.log(
    `data: ${files} files, ${(bytes / MiB).toFixed(0)} MiB on portal-src and tgt-1; ${changedFiles} files (${(changedBytes / MiB).toFixed(1)} MiB) changed on the source since`,
  );
  console.log(
    `  rsync -a -e ssh (baseline)    ${rsyncMean.toFixed(2)} s (${before.seconds.toFixed(2)} s before, ${after.seconds.toFixed(2)} s after migrate); sent ${(rsyncBytes(before.stdout) / MiB).toFixed(1)} MiB (its delta algorithm)`,
  );
  console.log(
    `  migrate transfer step         ${ours.toFixed(2)} s = ${(ours / rsyncMean).toFixed(2)}x rsync's time (target <= 1.2x); ${moved.filesInPlace} entries (${((moved.bytesInPlace as number) / MiB).toFixed(0)} MiB) verified in place by digest on the target, ${moved.filesSent} sent`,
  );
  console.log(
    `  bytes sent                    ${(sent / MiB).toFixed(2)} MiB = ${(sent / changedBytes).toFixed(2)}x the changed files' bytes (target <= 1.2x)`,
  );
  console.log(
    `  xargs -P openssl sha256 tgt-1 ${floor.seconds.toFixed(2)} s: a plain parallel hash of the tree there, for scale (migrate's transfer step = ${(ours / floor.seconds).toFixed(2)}x it)`,
  );
  console.log(
    `  rsync -a --checksum           ${checksum.seconds.toFixed(2)} s: rsync reading both sides' bytes too (with a fast non-cryptographic checksum); migrate's transfer step = ${(ours / checksum.seconds).toFixed(2)}x it, snapshot + transfer = ${((snapSeconds + ours) / checksum.seconds).toFixed(2)}x`,
  );
  console.log(
    `  snapshot before it            ${snapSeconds.toFixed(2)} s (source manifest with SHA-256, made by every apply); snapshot + transfer = ${((snapSeconds + ours) / rsyncMean).toFixed(2)}x rsync's time; load average ${load}`,
  );
  await onHost("tgt-1", `rm -rf ${DIR} ${DIR}-*`);
  await onHost("portal-src", `rm -rf ${DIR} ${DIR}-* ${KEY_ON_SOURCE} /tmp/changed`);
}
