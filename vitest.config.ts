import { defineConfig } from "vitest/config";

// Two tiers: `unit` (pure core, no hosts) and `e2e` (real OpenSSH, PostgreSQL and nginx on the
// loopback fleet). The e2e tier never silently skips in CI: its global setup fails instead.
// `vitest run` runs the unit tier first and the e2e tier after it (sequence.groupOrder), so on a
// 2-core machine the unit tier's CPU-bound workers never compete with e2e timing; the e2e tests'
// timing claims are still written to hold with the unit tier running beside them. Both tiers run
// the CLI as it ships (bin/migrate → dist/): test/support/fresh-dist.ts builds dist/ when stale.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          sequence: { groupOrder: 0 },
          include: ["test/unit/**/*.test.ts"],
          globalSetup: ["test/support/fresh-dist.ts"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "e2e",
          sequence: { groupOrder: 1 },
          include: ["test/e2e/**/*.test.ts"],
          globalSetup: ["test/support/fresh-dist.ts", "test/e2e/global-setup.ts"],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          // One file at a time: the files share the fleet's hosts. A second fleet per worker was
          // tried: on two cores the tier keeps the CPU 67-83 % busy already, so each file took
          // about twice as long (the tier no faster) and tests failed (docs/performance.md).
          fileParallelism: false,
        },
      },
    ],
  },
});
