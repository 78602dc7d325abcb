/**
 * Manifests and cutover at scale, on the fleet: trees of many 200-byte files (500 per
 * directory, test/support/scale-tree.ts) moved by a whole `bin/migrate apply` process, each figure against a baseline
 * measured in the same run:
 *   1. the orchestrator's peak RSS (ru_maxrss of the child) for each size: flat means the ratio
 *      to the smallest tree's stays near 1 while the files grow 10x and 100x;
 *   2. downtime (the cutover step: freeze, final sync, target check, switch) after 1 % of the
 *      files changed, against `rsync -a --delete` of the same change from the source to a copy of
 *      the target's tree (target <= 1.2x rsync's time).
 * Sizes: SCALE_FILES (default 10000,100000; add 1000000 for the long run). MIGRATE_BIN runs
 * another build of migrate (an older checkout's bin/migrate) for before/after figures.
 * SCALE_CPU_PROF=<dir> profiles the cutover run; SCALE_KEEP_STATE=1 keeps its run logs.
 * SCALE_NAME (default `bench`) names the workload, its tree and its key file on the hosts, so a
 * second run can share the fleet with a long one.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { stringify } from "yaml";
import { hostExec } from "../fixtures/fleet/host-exec.ts";
import { readFleet } from "../fixtures/fleet/index.ts";
import { changeOnePercent, seedScaleTree } from "../test/support/scale-tree.ts";
import { measuredApply, stepSeconds } from "./apply-process.ts";
import { benchPlanInput } from "./transfer-context.ts";

const NAME = process.env.SCALE_NAME ?? "bench";
const TREE = NAME === "bench" ? "/opt/migrate-scale" : `/opt/migrate-scale-${NAME}`;
const KEY_ON_SOURCE = NAME === "bench" ? "/root/.migrate-scale-key" : `/root/.migrate-scale-key-${NAME}`;
const PER_DIR = 500;

async function onHost(host: string, script: string): Promise<string> {
  const result = await hostExec(host, script, { timeoutMs: 60 * 60_000 });
  if (result.code !== 0) throw new Error(`${host}: ${script}: ${result.stderr}`);
  return result.stdout;
}

async function seed(files: number): Promise<void> {
  const tree = seedScaleTree(files, files / PER_DIR);
  await onHost("tgt-1", `rm -rf ${TREE} ${TREE}-rsync`);
  await onHost("portal-src", `rm -rf ${TREE} && cp -a ${tree} ${TREE}`);
}

/** The step that was running at `at` (ms since the epoch), from the journal. */
function stepAt(stateDir: string, plan: string, at: number): string {
  const text = readFileSync(join(stateDir, plan, "journal.jsonl"), "utf8");
  let step = "before the first step";
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const record = JSON.parse(line) as { type: string; key?: string; at: string };
    if (Date.parse(record.at) > at) break;
    if (record.type === "step-start" && record.key) step = record.key.split("/")[1]!;
    if (record.type === "step-finish" && record.key) step = `after ${record.key.split("/")[1]}`;
  }
  return step;
}

export async function run(): Promise<void> {
  const fleet = readFleet();
  const binary = process.env.MIGRATE_BIN ?? new URL("../bin/migrate", import.meta.url).pathname;
  const sizes = (process.env.SCALE_FILES ?? "10000,100000").split(",").map(Number);
  const tgt = fleet.hosts.find((h) => h.name === "tgt-1")!.address;
  const key = readFileSync(fleet.client.keyFile, "utf8");
  await onHost("portal-src", `umask 077 && printf '%s' '${key}' > ${KEY_ON_SOURCE}`);
  const rsync = `rsync -a --delete -e 'ssh -i ${KEY_ON_SOURCE} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR' ${TREE}/ root@${tgt}:${TREE}-rsync/`;
  console.log(`  migrate: ${binary}`);
  const rows: { files: number; peak: number }[] = [];
  for (const files of sizes) {
    await seed(files);
    const dir = mkdtempSync(join(tmpdir(), "bench-scale-"));
    const plan = join(dir, "plan.yaml");
    const input = benchPlanInput(fleet.planFile, { source: "portal-src", target: "tgt-1", paths: [TREE] });
    (input.workloads[0] as { name: string }).name = NAME;
    writeFileSync(
      plan,
      stringify({ ...input, metadata: { ...(input.metadata as object), name: "bench-scale" } }),
    );
    const state = join(dir, "state");
    const moved = measuredApply(binary, plan, state, { MIGRATE_FAIL_AFTER: `${NAME}/reconfigure` });
    if (moved.code !== 3) throw new Error(`apply of ${files} files exited ${moved.code}`);
    const steps = stepSeconds(state, "bench-scale");
    // rsync's copy of the target's tree as the transfer left it, then the same 1 % change.
    await onHost("tgt-1", `cp -a ${TREE} ${TREE}-rsync`);
    await onHost("portal-src", `cd ${TREE} && ${changeOnePercent(files, files / PER_DIR)}`);
    const started = performance.now();
    await onHost("portal-src", rsync);
    const rsyncSeconds = (performance.now() - started) / 1000;
    // SCALE_CPU_PROF=<dir>: a V8 CPU profile of the cutover run, to see where the downtime goes.
    // (node refuses --cpu-prof in NODE_OPTIONS: the binary runs under node with bin/migrate's flags.)
    const profile = process.env.SCALE_CPU_PROF;
    const cut = measuredApply(
      binary,
      plan,
      state,
      {},
      profile
        ? [
            "node",
            "--max-semi-space-size=4",
            "--expose-gc",
            "--cpu-prof",
            `--cpu-prof-dir=${profile}/${files}`,
          ]
        : [],
    );
    if (cut.code !== 0) throw new Error(`cutover of ${files} files exited ${cut.code}`);
    const downtime = stepSeconds(state, "bench-scale").cutover ?? Number.NaN;
    const peak = Math.max(moved.peakMiB, cut.peakMiB);
    rows.push({ files, peak });
    console.log(`  ${files} files:`);
    console.log(
      `    apply to reconfigure       ${moved.seconds.toFixed(1)} s (snapshot ${steps.snapshot?.toFixed(1)} s, transfer ${steps.transfer?.toFixed(1)} s), peak RSS ${moved.peakMiB.toFixed(0)} MiB (in ${stepAt(state, "bench-scale", moved.peakAt)})`,
    );
    console.log(
      `    cutover run                ${cut.seconds.toFixed(1)} s (node's CPU ${cut.cpuSeconds.toFixed(1)} s), peak RSS ${cut.peakMiB.toFixed(0)} MiB (in ${stepAt(state, "bench-scale", cut.peakAt)}); peak of both ${peak.toFixed(0)} MiB = ${(peak / rows[0]!.peak).toFixed(2)}x the ${rows[0]!.files}-file tree's`,
    );
    console.log(`    rsync -a --delete (baseline) ${rsyncSeconds.toFixed(2)} s for the 1 % change`);
    console.log(
      `    migrate downtime (cutover) ${downtime.toFixed(2)} s = ${(downtime / rsyncSeconds).toFixed(2)}x rsync's time (target <= 1.2x)`,
    );
    // SCALE_KEEP_STATE=1 keeps the state directory: its run logs time every remote command.
    if (process.env.SCALE_KEEP_STATE) console.log(`    state kept in ${state}`);
    else rmSync(dir, { recursive: true, force: true });
    await onHost("tgt-1", `rm -rf ${TREE} ${TREE}-rsync`);
    await onHost("portal-src", `rm -rf ${TREE}`);
  }
  await onHost("portal-src", `rm -f ${KEY_ON_SOURCE}`);
}
