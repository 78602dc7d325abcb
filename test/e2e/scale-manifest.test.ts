/**
 * A workload of 50,000 files through a whole `migrate apply` on the fleet: the orchestrator's
 * peak RSS (the kernel's count for the child process) stays under a bound that does not grow
 * with the number of files, and after 1 % of the files change on the source the cutover hashes
 * only those — on the source (the final sync's quick check) and on the target (evidence of what
 * the transfer verified vouches for the rest).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { benchPlanInput } from "../../bench/transfer-context.ts";
import { readFleet } from "../../fixtures/fleet/index.ts";
import type { PlanInput } from "../../src/plan/schema.ts";
import { seedScaleTree } from "../support/scale-tree.ts";
import { journal, preparePlan, sh } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");
const FILES = 50_000;
const DIRS = 250;
const TREE = "/opt/migrate-scale-e2e";
const REPO = join(import.meta.dirname, "../..");
/**
 * The whole apply's peak RSS bound, for both runs: every step streams its manifests from disk
 * (the transfer cuts its batches from the snapshot's file), sorts merge at most 16 runs at once
 * and the heap is collected inside long steps, not only between them. Measured with the scale
 * bench: 121 MiB at 10,000 files, 139 MiB at 100,000 (docs/performance.md, issue 13 — memory).
 * Before the collections inside steps: first run 153–174 MiB, cutover run 176–196 MiB at this
 * size (305 MiB before manifests streamed); the issue's target is < 250 MiB and flat. With the
 * cutover's and the batch checks' changes merged: 145 / 140 MiB. The bound leaves a quarter for
 * another machine's allocator and still fails the old code as measured this session (its cutover
 * runs peaked at 193 and 202 MiB).
 */
const WHOLE_APPLY_RSS_MIB = 180;

/** `bin/migrate apply` under python's getrusage: exit code, seconds and the child's peak RSS. */
function measuredApply(planFile: string, stateDir: string, env: Record<string, string> = {}) {
  const script =
    "import resource, subprocess, sys, time\n" +
    "t = time.time(); code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode\n" +
    "print(code, time.time() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)";
  const run = spawnSync(
    "python3",
    ["-c", script, join(REPO, "bin/migrate"), "apply", planFile, "--yes", "--state-dir", stateDir],
    { encoding: "utf8", env: { ...process.env, ...env } },
  );
  const [code, seconds, kib] = run.stdout.trim().split(" ").map(Number);
  return { code, seconds: seconds ?? 0, peakMiB: (kib ?? 0) / 1024, stderr: run.stderr };
}

function outputsOf(stateDir: string, key: string): Record<string, unknown> | undefined {
  const records = journal(stateDir).filter((r) => r.type === "step-finish" && r.key === key);
  const last = records.at(-1);
  return last?.type === "step-finish" ? last.outputs : undefined;
}

describe.skipIf(skipReason !== "")(
  "scale: 50,000 files with flat memory and a cutover proportional to change",
  () => {
    let stateDir: string;
    let first: ReturnType<typeof measuredApply>;
    let second: ReturnType<typeof measuredApply>;
    let changed = 0;

    beforeAll(async () => {
      const seeded = seedScaleTree(FILES, DIRS);
      await sh("tgt-1", `rm -rf ${TREE}`);
      await sh("portal-src", `rm -rf ${TREE} && cp -a ${seeded} ${TREE}`);
      const prepared = preparePlan((plan) => {
        const bench = benchPlanInput(readFleet().planFile, {
          source: "portal-src",
          target: "tgt-1",
          paths: [TREE],
        });
        plan.workloads = bench.workloads as PlanInput["workloads"];
      });
      stateDir = prepared.stateDir;
      first = measuredApply(prepared.planFile, stateDir, { MIGRATE_FAIL_AFTER: "bench/reconfigure" });
      // 1 % of the files change on the live source before the cutover: same size and mtime set
      // back for a tenth of them (only the ctime tells), appended to for the rest.
      const out = await sh(
        "portal-src",
        `cd ${TREE} && n=0; for i in $(seq 0 100 ${FILES - 1}); do f="d$((i % ${DIRS}))/f $i.txt"; if [ $((i % 1000)) -eq 0 ]; then cp -p "$f" /tmp/o && printf X | dd of="$f" bs=1 seek=0 conv=notrunc 2>/dev/null && touch -r /tmp/o "$f"; else echo more >> "$f"; fi; n=$((n+1)); done; echo $n`,
      );
      changed = Number(out.stdout.trim());
      second = measuredApply(prepared.planFile, stateDir);
    }, 600_000);

    afterAll(async () => {
      await sh("tgt-1", `rm -rf ${TREE}`);
      await sh("portal-src", `rm -rf ${TREE}`);
    });

    it("moves the tree and cuts over", () => {
      expect(first.code, first.stderr.slice(-2000)).toBe(3);
      expect(second.code, second.stderr.slice(-2000)).toBe(0);
      expect(outputsOf(stateDir, "bench/snapshot")).toMatchObject({ files: FILES + DIRS + 1 });
      expect(changed).toBe(FILES / 100);
    });

    it("checks the transfer's batches as they arrive, reading nothing back on the target", () => {
      // Every file's batch came with the receiver's receipt, and it matched the manifest.
      expect(outputsOf(stateDir, "bench/transfer")).toMatchObject({
        checkedOnArrival: FILES,
        listedAgain: 0,
      });
    });

    it("keeps the orchestrator's peak RSS under the bound", () => {
      console.log(
        `scale e2e: ${FILES} files; first apply ${first.seconds.toFixed(1)} s, peak RSS ${first.peakMiB.toFixed(0)} MiB; cutover run ${second.seconds.toFixed(1)} s, peak RSS ${second.peakMiB.toFixed(0)} MiB`,
      );
      expect(first.peakMiB).toBeLessThan(WHOLE_APPLY_RSS_MIB);
      expect(second.peakMiB).toBeLessThan(WHOLE_APPLY_RSS_MIB);
    });

    it("hashes only the changed files at the cutover, on the source and on the target", () => {
      const cutover = outputsOf(stateDir, "bench/cutover") as {
        delta: { filesHashed: number; filesSent: number };
        targetTree: { filesHashed: number; full: boolean };
      };
      expect(cutover.delta.filesHashed).toBe(changed);
      expect(cutover.delta.filesSent).toBe(changed);
      expect(cutover.targetTree.full).toBe(false);
      // The rest is vouched for by the transfer's evidence; a file whose ctime lies within two
      // clock ticks of the listing that hashed it is not (the racy rule) and is hashed again.
      expect(cutover.targetTree.filesHashed).toBeLessThan(FILES / 10);
    });

    it("leaves the target equal to the source", async () => {
      const listing = `cd ${TREE} && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum`;
      expect((await sh("tgt-1", listing)).stdout).toBe((await sh("portal-src", listing)).stdout);
    });
  },
);
