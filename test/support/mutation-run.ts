/**
 * `npm run test:mutation`: StrykerJS once per module group (stryker.config.mjs), then
 * docs/mutation.md from the groups' reports. `npm run test:mutation -- journal rules` runs only
 * those groups; the report always covers every group that has a result.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";

const root = join(import.meta.dirname, "../..");
const config = join(root, "stryker.config.mjs");
const { GROUPS } = (await import(config)) as { GROUPS: Record<string, string[]> };
const wanted = process.argv.slice(2);
const groups = wanted.length > 0 ? wanted : Object.keys(GROUPS);
for (const group of groups) {
  if (!(group in GROUPS))
    throw new Error(`unknown group ${group}; groups: ${Object.keys(GROUPS).join(", ")}`);
  const started = Date.now();
  execFileSync(join(root, "node_modules/.bin/stryker"), ["run"], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, MUTATION_GROUP: group },
  });
  process.stdout.write(`mutation group ${group}: ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}
execFileSync(process.execPath, ["--import", "tsx", join(root, "test/support/mutation-report.ts")], {
  cwd: root,
  stdio: "inherit",
});
