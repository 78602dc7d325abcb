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
import type { PlanInput } from "../../src/plan/schema.ts";
import { journal, preparePlan, sh } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");
const FILES = 50_000;
const DIRS = 250;
const TREE = "/opt/migrate-scale-e2e";
const SEED = `/var/tmp/migrate-scale-seed-${FILES}`;
const REPO = join(import.meta.dirname, "../..");
/** Peak RSS of the whole apply process; 50,000 files held in memory took ~300 MiB before. */
const RSS_BOUND_MIB = 200;

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
      // Written once on this machine (the /var/tmp every fleet host sees), copied inside the host.
      const seed = `import os, sys
seed, files, dirs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if not os.path.exists(seed + "/.complete"):
    for i in range(files):
        d = f"{seed}/tree/d{i % dirs}"
        os.makedirs(d, exist_ok=True)
        open(f"{d}/f {i}.txt", "w").write(f"file {i}\\n" * 20)
    open(seed + "/.complete", "w").close()`;
      expect(spawnSync("python3", ["-c", seed, SEED, String(FILES), String(DIRS)]).status).toBe(0);
      await sh("tgt-1", `rm -rf ${TREE}`);
      await sh("portal-src", `rm -rf ${TREE} && cp -a ${SEED}/tree ${TREE}`);
      const prepared = preparePlan((plan) => {
        plan.workloads = [
          {
            name: "scale",
            bureau: "bench",
            kind: "generic",
            classification: 1,
            zone: "internet",
            portable: true,
            wave: 1,
            source: "portal-src",
            target: "tgt-1",
            paths: [TREE],
          },
        ] as PlanInput["workloads"];
      });
      stateDir = prepared.stateDir;
      first = measuredApply(prepared.planFile, stateDir, { MIGRATE_FAIL_AFTER: "scale/reconfigure" });
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
      expect(outputsOf(stateDir, "scale/snapshot")).toMatchObject({ files: FILES + DIRS + 1 });
      expect(changed).toBe(FILES / 100);
    });

    it("keeps the orchestrator's peak RSS under the bound", () => {
      console.log(
        `scale e2e: ${FILES} files; first apply ${first.seconds.toFixed(1)} s, peak RSS ${first.peakMiB.toFixed(0)} MiB; cutover run ${second.seconds.toFixed(1)} s, peak RSS ${second.peakMiB.toFixed(0)} MiB`,
      );
      expect(first.peakMiB).toBeLessThan(RSS_BOUND_MIB);
      expect(second.peakMiB).toBeLessThan(RSS_BOUND_MIB);
    });

    it("hashes only the changed files at the cutover, on the source and on the target", () => {
      const cutover = outputsOf(stateDir, "scale/cutover") as {
        delta: { filesHashed: number; filesSent: number };
        targetTree: { filesHashed: number; full: boolean };
      };
      expect(cutover.delta.filesHashed).toBe(changed);
      expect(cutover.delta.filesSent).toBe(changed);
      expect(cutover.targetTree.full).toBe(false);
      expect(cutover.targetTree.filesHashed).toBeLessThanOrEqual(changed);
    });

    it("leaves the target equal to the source", async () => {
      const listing = `cd ${TREE} && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum`;
      expect((await sh("tgt-1", listing)).stdout).toBe((await sh("portal-src", listing)).stdout);
    });
  },
);
