/** `npm run docs`: regenerate the generated regions of docs/*.md (see docs.ts). */
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { docGenerators } from "./docs.ts";
import { fillRegions } from "./regions.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
for (const [file, generators] of Object.entries(docGenerators())) {
  const path = join(root, file);
  const before = await readFile(path, "utf8");
  const after = fillRegions(before, generators);
  if (after !== before) await writeFile(path, after);
  console.log(`${after === before ? "unchanged" : "wrote"} ${file}`);
}
