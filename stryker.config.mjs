// @ts-check
/**
 * StrykerJS over the pure core, killed by the unit tier alone (vitest.mutation.config.ts).
 * The modules run in groups (MUTATION_GROUP, see test/support/mutation-run.ts) so that each
 * group's result and incremental file are kept as soon as it ends: on 2 shared cores a whole run
 * takes long, and an interrupted run must not lose the groups already done.
 */
export const GROUPS = {
  decisions: [
    "src/engine/planning/window.ts",
    "src/engine/running/retry.ts",
    "src/engine/running/throttle.ts",
    "src/engine/running/scheduler.ts",
    "src/engine/planning/resume-check.ts",
    "src/plan/rules/windows.ts",
    "src/plan/duration.ts",
    "src/plan/bytes.ts",
    "src/plan/time.ts",
  ],
  compare: ["src/transfer/delta.ts", "src/manifest/model.ts", "src/manifest/parse.ts"],
  journal: ["src/engine/journal/journal-read.ts"],
  rules: ["src/plan/rules/*.ts", "!src/plan/rules/windows.ts"],
  portability: ["src/plan/portability-findings.ts", "src/plan/portability-facts.ts"],
};

const group = process.env.MUTATION_GROUP ?? "decisions";
if (!(group in GROUPS)) throw new Error(`MUTATION_GROUP must be one of ${Object.keys(GROUPS).join(", ")}`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts", related: false },
  plugins: ["@stryker-mutator/vitest-runner"],
  coverageAnalysis: "perTest",
  // Two shared cores: one test runner each.
  concurrency: 2,
  incremental: true,
  incrementalFile: `reports/mutation/${group}.incremental.json`,
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
  mutate: GROUPS[/** @type {keyof typeof GROUPS} */ (group)],
  // Module-level constants run once at import, so every test would have to run for each such
  // mutant; they are left out and named in docs/mutation.md.
  ignoreStatic: true,
  reporters: ["clear-text", "progress", "json"],
  jsonReporter: { fileName: `reports/mutation/${group}.json` },
  thresholds: { high: 90, low: 85, break: null },
  timeoutMS: 5000,
  ignorePatterns: [".fleet", ".migrate", "dist", "bench/out", "coverage", "tmp", "*.log", "reports"],
};
