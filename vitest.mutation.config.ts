import { configDefaults, defineConfig } from "vitest/config";

// The unit tier alone, without projects, for StrykerJS (`npm run test:mutation`): mutants in the
// pure core must be killed by unit tests, never by the e2e fleet. Left out: tests whose code under
// test runs in a child process (mutants are only active inside the vitest worker, so those tests
// cannot kill one) and the slow ssh/shell-quoting suites, which exercise none of the mutated files.
export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts"],
    exclude: [
      ...configDefaults.exclude,
      "test/unit/cli/validate-plan-schema.test.ts",
      "test/unit/cli/readme-behaviours.test.ts",
      "test/unit/cli/closed-window.test.ts",
      "test/unit/cli/ordinary-mistakes.test.ts",
      "test/unit/cli/yaml-mistakes.test.ts",
      "test/unit/engine/journal/lock.test.ts",
      "test/unit/cli/memory-policy.test.ts",
      "test/unit/remote/ssh-remote-settle.test.ts",
      "test/unit/remote/shell-quote-property.test.ts",
      // npm and the install checks run in child processes and read the sandbox's package set.
      "test/unit/remote/install-scripts.test.ts",
    ],
    testTimeout: 20_000,
    // Mutants are switched at run time (mutant schemata), so modules need not be re-imported per
    // test file: one shared module graph makes each mutant run several times cheaper.
    isolate: false,
  },
});
