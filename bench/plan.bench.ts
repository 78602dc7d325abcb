/**
 * `npm run bench plan`: the cost of `migrate plan --json` on a 2,000-workload plan against a bare
 * `yaml.parse` of the same file, measured in the same run. In process: loadPlan + planRun +
 * JSON.stringify vs readFile + yaml.parse, median of several repetitions. Also the wall time of
 * the whole CLI process against a bare node process that only parses the YAML.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { planRun } from "../src/engine/planning/planner.ts";
import { loadPlan } from "../src/plan/load.ts";
import { BENCH_SHAPE, generatePlan } from "./plan-generator.ts";

const here = dirname(fileURLToPath(import.meta.url));
const REPETITIONS = 9;
const TARGET_RATIO = 2;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

export async function run(): Promise<void> {
  const dir = join(here, "out");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "plan-2000.yaml");
  const text = generatePlan();
  writeFileSync(file, text);

  const check = await loadPlan(file);
  const errors = check.diagnostics.filter((d) => d.severity === "error");
  if (!check.plan || errors.length > 0) throw new Error(`generated plan is invalid: ${errors[0]?.message}`);
  const pending = planRun(check.plan).summary.steps;

  const baseline = async () => parse(await readFile(file, "utf8"));
  const candidate = async () => {
    const loaded = await loadPlan(file);
    return JSON.stringify(planRun(loaded.plan!, { planHash: loaded.hash }));
  };
  // Warm up both paths (JIT, module caches) before measuring; then interleave to share noise.
  await baseline();
  await candidate();
  const parseTimes: number[] = [];
  const planTimes: number[] = [];
  for (let i = 0; i < REPETITIONS; i++) {
    parseTimes.push(await time(baseline));
    planTimes.push(await time(candidate));
  }
  const parseMs = median(parseTimes);
  const planMs = median(planTimes);
  const ratio = planMs / parseMs;

  const bin = join(here, "..", "bin", "migrate");
  const bare = `import { readFileSync } from "node:fs"; import { parse } from "yaml"; parse(readFileSync(${JSON.stringify(file)}, "utf8"));`;
  const cliTimes: number[] = [];
  const bareTimes: number[] = [];
  const spawn = (command: string, args: string[]) => {
    const start = performance.now();
    const result = spawnSync(command, args, { cwd: join(here, ".."), stdio: "ignore" });
    // `plan` exits 2 when work is pending, which is the expected outcome here.
    if (result.status !== 0 && result.status !== 2)
      throw new Error(`${command} ${args.join(" ")} exited ${result.status}`);
    return performance.now() - start;
  };
  for (let i = 0; i < 5; i++) {
    cliTimes.push(spawn(bin, ["plan", "--json", file, "--state-dir", join(dir, "state")]));
    bareTimes.push(spawn(process.execPath, ["--input-type=module", "-e", bare]));
  }
  const kib = Math.round(Buffer.byteLength(text) / 1024);
  console.log(
    `plan: ${BENCH_SHAPE.workloads} workloads, ${BENCH_SHAPE.sources} sources, ${BENCH_SHAPE.tenants} tenants, ${BENCH_SHAPE.waves} waves, ${kib} KiB, ${pending} steps`,
  );
  console.log(`  yaml.parse (baseline)                   median ${parseMs.toFixed(1)} ms`);
  console.log(`  loadPlan + planRun + JSON.stringify     median ${planMs.toFixed(1)} ms`);
  console.log(
    `  ratio ${ratio.toFixed(2)}x (target <= ${TARGET_RATIO}x): ${ratio <= TARGET_RATIO ? "ok" : "OVER TARGET"}`,
  );
  console.log(
    `  CLI \`migrate plan --json\` process      median ${median(cliTimes).toFixed(0)} ms (bare node + yaml.parse process: ${median(bareTimes).toFixed(0)} ms)`,
  );
}
