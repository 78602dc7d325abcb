/**
 * Global setup of both tiers. Tests run the CLI as it ships — bin/migrate, which runs only the
 * compiled dist/ — so dist/ is rebuilt here first when something under src/ changed since the
 * last build: once per test run, never per test, and not at all when it is fresh.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  execFileSync(process.execPath, [fileURLToPath(new URL("../../bin/dist-fresh.mjs", import.meta.url))], {
    stdio: "inherit",
  });
}
