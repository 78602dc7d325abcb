/**
 * `npm run bench`: runs every bench/*.bench.ts (or those named on the command line) in turn,
 * each printing its own figures and the ratio against its baseline measured in the same run.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

// The transfer figures are the CLI's only with the V8 flags bin/migrate starts node with (its
// shebang), which package.json's "bench" script repeats; this keeps the two from drifting apart.
const shebang = readFileSync(join(here, "../bin/migrate"), "utf8").split("\n")[0] ?? "";
const missing = shebang
  .split(/\s+/)
  .filter((flag) => flag.startsWith("--") && !process.execArgv.includes(flag));
if (missing.length > 0) {
  console.error(
    `bench: run it as \`npm run bench\`, with bin/migrate's V8 flags (missing: ${missing.join(" ")})`,
  );
  process.exit(2);
}
// The whole-apply figures run bin/migrate, which runs dist/ only: rebuild it if src/ changed.
execFileSync(process.execPath, [join(here, "../bin/dist-fresh.mjs")], { stdio: "inherit" });
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((file) => file.endsWith(".bench.ts"))
  .filter((file) => wanted.length === 0 || wanted.some((name) => file.startsWith(name)))
  .sort();

for (const file of files) {
  console.log(`\n== ${file}`);
  const module = (await import(join(here, file))) as { run: () => Promise<void> };
  await module.run();
}
