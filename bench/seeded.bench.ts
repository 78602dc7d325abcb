/**
 * A target that already holds the workload (issue 20): 2 GiB on portal-src and the same tree on
 * tgt-1 (copied with `cp -a`, as a hand copy leaves it). Five rounds, each with another 1 % of
 * the files changed on the source first:
 *   0. the first look at the hand copy WITHOUT the snapshot's pre-hash (the target's tree is
 *      moved aside while the snapshot runs, so the pre-hash finds no copy, as before it existed):
 *      every candidate is hashed on the target by the transfer's in-place check;
 *   1. the first look again (the evidence file deleted, as a lost state directory leaves it),
 *      with the pre-hash: the snapshot hashes the target's copy while it hashes the source;
 *   2-4. the target as the round before left it (checked by migrate, as a seed import or an
 *      earlier apply leaves it): files unchanged since their digest was computed there are not
 *      hashed again. Three rounds, since single timings on the shared machine vary a lot.
 * Measured in the same run, over the same SSH (source through the bastion), per round:
 *   - bytes sent by migrate's transfer step vs the bytes of the changed files (target ≤ 1.2x);
 *   - its wall time vs `rsync -a` of the same state, pushed source → target (target ≤ 1.2x),
 *     rsync timed before and after migrate, each from a fresh copy of the same target tree.
 * The snapshot (the source-side manifest with hashes, which every apply makes before the
 * transfer) is timed apart and reported too, so the whole cost is on the table.
 * BENCH_SEEDED_BYTES changes the size (default 2 GiB).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { hostExec } from "../fixtures/fleet/host-exec.ts";
import { readFleet } from "../fixtures/fleet/index.ts";
import { snapshot } from "../src/steps/snapshot.ts";
import { transfer } from "../src/steps/transfer.ts";
import { preHashTarget } from "../src/transfer/pre-hash.ts";
import { EVIDENCE_FILE } from "../src/transfer/target-evidence.ts";
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

/** Change 1 % of the source's files (every 100th in path order, from `offset`): new bytes, size kept, new mtime. */
async function changeOnSource(offset: number): Promise<{ files: number; bytes: number }> {
  const changed = await onHost(
    "portal-src",
    `find ${DIR} -type f | sort | awk 'NR % 100 == ${offset}' > /tmp/changed && while IFS= read -r f; do head -c 1024 /dev/urandom | dd of="$f" bs=1024 seek=1 conv=notrunc 2>/dev/null; touch "$f"; done < /tmp/changed && echo "$(wc -l < /tmp/changed) $(xargs -d '\\n' stat -c %s < /tmp/changed | awk '{s+=$1} END {print s}')"`,
  );
  const [files, bytes] = changed.trim().split(" ").map(Number) as [number, number];
  return { files, bytes };
}

interface Round {
  rsync: number;
  before: number;
  after: number;
  rsyncSent: number;
  snapshot: number;
  /** The snapshot's pre-hash of the target's copy, as it logged it (absent: no copy found). */
  preHash?: { ms: number; bytesHashed: number };
  transfer: number;
  phases: Record<string, number>;
  moved: Record<string, unknown>;
  changed: { files: number; bytes: number };
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
  const key = readFileSync(fleet.client.keyFile, "utf8");
  await onHost("portal-src", `umask 077 && printf '%s' '${key}' > ${KEY_ON_SOURCE}`);
  const rsync = (to: string, flags = "-a") =>
    timed(
      "rsync",
      `ssh -F ${config} portal-src "rsync ${flags} --stats -e 'ssh -i ${KEY_ON_SOURCE} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR' ${DIR}/ root@${tgt}:${to}/"`,
    );
  const rsyncBytes = (stdout: string) =>
    Number(/Total bytes sent: ([\d,]+)/.exec(stdout)?.[1]?.replaceAll(",", "") ?? 0);
  // One workload, one local work directory for both rounds: the second finds the first's evidence.
  const bench = benchRun(fleet.planFile, { source: "portal-src", target: "tgt-1", paths: [DIR] });

  /** 1 % changed on the source, then rsync -a (before and after) and migrate from the same target state. */
  async function round(
    offset: number,
    copies: string[] = [],
    first: "without-pre-hash" | "with-pre-hash" | undefined = undefined,
  ): Promise<Round> {
    const changed = await changeOnSource(offset);
    // A first look has no evidence: the state directory was lost (or never there).
    if (first) rmSync(join(bench.context("snapshot").workDir, EVIDENCE_FILE), { force: true });
    // Untouched copies of the target tree as it is now, one per rsync run.
    await onHost(
      "tgt-1",
      ["1", "2", ...copies].map((name) => `cp -a ${DIR} ${DIR}-rsync${name}`).join(" && "),
    );
    const before = rsync(`${DIR}-rsync1`);
    // Without the pre-hash: the target's tree is elsewhere while the snapshot runs (a rename of
    // the root only, which leaves its files' ctimes and inodes as they were).
    if (first === "without-pre-hash") await onHost("tgt-1", `mv ${DIR} ${DIR}-aside`);
    let preHash: Round["preHash"];
    const snapContext = {
      ...bench.context("snapshot"),
      log: {
        info: (message: string, fields?: Record<string, unknown>) => {
          if (message.startsWith("pre-hashed")) preHash = fields as Round["preHash"];
        },
        warn: (message: string) => console.log(`snapshot warning: ${message}`),
        error: () => {},
      },
    };
    const snapStarted = performance.now();
    bench.record("snapshot", await snapshot.run(bench.inputs.snapshot, snapContext));
    const snapSeconds = (performance.now() - snapStarted) / 1000;
    if (first === "without-pre-hash") await onHost("tgt-1", `mv ${DIR}-aside ${DIR}`);
    // The in-place check logs where its time went (probe, list, hash, match).
    let phases: Record<string, number> = {};
    const context = {
      ...bench.context("transfer"),
      log: {
        info: (_message: string, fields?: Record<string, unknown>) => {
          if (fields?.phasesMs) phases = fields.phasesMs as Record<string, number>;
        },
        warn: () => {},
        error: () => {},
      },
    };
    const started = performance.now();
    const moved = await transfer.run(bench.inputs.transfer, context);
    const seconds = (performance.now() - started) / 1000;
    const after = rsync(`${DIR}-rsync2`);
    await onHost("tgt-1", `rm -rf ${DIR}-rsync1 ${DIR}-rsync2`);
    return {
      rsync: (before.seconds + after.seconds) / 2,
      before: before.seconds,
      after: after.seconds,
      rsyncSent: rsyncBytes(before.stdout),
      snapshot: snapSeconds,
      ...(preHash ? { preHash } : {}),
      transfer: seconds,
      phases,
      moved,
      changed,
    };
  }

  // Round 0: the first look at a hand-copied target as before the pre-hash; every candidate is
  // hashed there by the transfer's check. Round 1: the first look again, with the pre-hash.
  const without = await round(10, [], "without-pre-hash");
  const first = await round(0, ["c"], "with-pre-hash");
  // rsync that does not trust size and mtime either: --checksum hashes every same-size file on
  // both hosts, as migrate's snapshot (source) and in-place check (target) do.
  const checksum = rsync(`${DIR}-rsyncc`, "-a --checksum");
  // A plain parallel hash of the tree on the target (OpenSSL, 2,000 files per process, one
  // process per CPU, files in `find` order, not balanced by size), for scale.
  const floor = timed(
    "hashing on the target",
    `ssh -F ${config} tgt-1 'find ${DIR}-rsyncc -type f -print0 | xargs -0 -n 2000 -P "$(nproc)" openssl dgst -sha256 -r > /dev/null'`,
  );
  await onHost("tgt-1", `rm -rf ${DIR}-rsyncc`);
  // Rounds 2-4: another 1 % changed each time; the target was checked by migrate before (as after
  // a seed import or an earlier apply), so only files changed there since are hashed again.
  // Repeated because single timings on the shared machine vary by tens of percent.
  const later: Round[] = [];
  for (const offset of [50, 25, 75]) later.push(await round(offset));
  // What the pre-hash adds to a snapshot when the target holds no copy (a fresh target): its
  // probe, one command over SSH, timed alone (in the snapshot it runs beside the source's listing).
  const emptyTarget: number[] = [];
  for (let n = 0; n < 5; n++) {
    const started = performance.now();
    await preHashTarget({
      target: await bench.context("snapshot").remote("tgt-1"),
      roots: [`${DIR}-absent`],
      hash: "sha256",
      signal: new AbortController().signal,
      timeoutMs: 60_000,
      evidenceFile: join(bench.context("snapshot").workDir, EVIDENCE_FILE),
    });
    emptyTarget.push(performance.now() - started);
  }
  await bench.close();
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

  console.log(`data: ${files} files, ${(bytes / MiB).toFixed(0)} MiB on portal-src and tgt-1`);
  const rounds: [string, Round][] = [
    [
      "round 0, first look at a hand copy WITHOUT the pre-hash (every candidate hashed by the transfer's check)",
      without,
    ],
    ["round 1, first look at a hand copy (evidence deleted) with the snapshot's pre-hash", first],
    ...later.map((r, n): [string, Round] => [`round ${n + 2}, a target migrate checked before`, r]),
  ];
  for (const [label, r] of rounds) {
    const sent = r.moved.bytesSent as number;
    console.log(
      `${label}: ${r.changed.files} files (${(r.changed.bytes / MiB).toFixed(1)} MiB) changed on the source since`,
    );
    console.log(
      `  rsync -a -e ssh (baseline)    ${r.rsync.toFixed(2)} s (${r.before.toFixed(2)} s before, ${r.after.toFixed(2)} s after migrate); sent ${(r.rsyncSent / MiB).toFixed(1)} MiB (its delta algorithm)`,
    );
    console.log(
      `  migrate transfer step         ${r.transfer.toFixed(2)} s = ${(r.transfer / r.rsync).toFixed(2)}x rsync's time (target <= 1.2x); ${r.moved.filesInPlace} entries (${((r.moved.bytesInPlace as number) / MiB).toFixed(0)} MiB) verified in place, ${r.moved.filesSent} sent`,
    );
    const check = Object.values(r.phases).reduce((sum, ms) => sum + ms, 0);
    console.log(
      `  of which the in-place check   ${(check / 1000).toFixed(2)} s (${Object.entries(r.phases)
        .map(([phase, ms]) => `${phase} ${(ms / 1000).toFixed(2)} s`)
        .join(", ")}); sending and verifying what differs ${(r.transfer - check / 1000).toFixed(2)} s`,
    );
    console.log(
      `  bytes sent                    ${(sent / MiB).toFixed(2)} MiB = ${(sent / r.changed.bytes).toFixed(2)}x the changed files' bytes (target <= 1.2x)`,
    );
    console.log(
      `  snapshot before it            ${r.snapshot.toFixed(2)} s (source manifest with SHA-256, made by every apply); snapshot + transfer = ${(r.snapshot + r.transfer).toFixed(2)} s = ${((r.snapshot + r.transfer) / r.rsync).toFixed(2)}x rsync's time`,
    );
    console.log(
      r.preHash
        ? `  of which the target pre-hash  ${(r.preHash.ms / 1000).toFixed(2)} s beside the source's hashing, ${(r.preHash.bytesHashed / MiB).toFixed(0)} MiB hashed on tgt-1`
        : "  pre-hash                      no copy on tgt-1 during the snapshot (probe only)",
    );
  }
  console.log(
    `pre-hash on a target without a copy (probe only, 5 runs): ${emptyTarget.map((ms) => ms.toFixed(0)).join(", ")} ms, beside a snapshot of ${without.snapshot.toFixed(2)} s`,
  );
  console.log(
    `first look, snapshot + transfer: ${(without.snapshot + without.transfer).toFixed(2)} s without the pre-hash (round 0), ${(first.snapshot + first.transfer).toFixed(2)} s with it (round 1); transfer step ${(without.transfer / without.rsync).toFixed(2)}x -> ${(first.transfer / first.rsync).toFixed(2)}x rsync -a`,
  );
  const ratios = later.map((r) => r.transfer / r.rsync).sort((a, b) => a - b);
  console.log(
    `checked before (unchanged files vouched for by digest, ctime and inode): transfer step / rsync -a = ${ratios.map((x) => x.toFixed(2)).join(", ")}; median ${ratios[1]!.toFixed(2)}x (target <= 1.2x)`,
  );
  console.log(
    `  xargs -P openssl sha256 tgt-1 ${floor.seconds.toFixed(2)} s: a plain parallel hash of the tree there, for scale (the first look = ${(first.transfer / floor.seconds).toFixed(2)}x it)`,
  );
  console.log(
    `  rsync -a --checksum           ${checksum.seconds.toFixed(2)} s: rsync reading both sides' bytes too; the first look = ${(first.transfer / checksum.seconds).toFixed(2)}x it; load average ${load}`,
  );
  await onHost("tgt-1", `rm -rf ${DIR} ${DIR}-*`);
  await onHost("portal-src", `rm -rf ${DIR} ${DIR}-* ${KEY_ON_SOURCE} /tmp/changed`);
}
