import { defineConfig } from "vitest/config";

// Two tiers: `unit` (pure core, no hosts) and `e2e` (real OpenSSH, PostgreSQL and nginx on the
// loopback fleet). The e2e tier never silently skips in CI: its global setup fails instead.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          globalSetup: ["test/e2e/global-setup.ts"],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
