/**
 * `npm run bench`: runs every bench/*.bench.ts (or those named on the command line) in turn,
 * each printing its own figures and the ratio against its baseline measured in the same run.
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
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
