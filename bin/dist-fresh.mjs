#!/usr/bin/env node
// Builds dist/ when it is missing or older than something under src/ (dist/.stamp against the
// newest mtime there). For the tools that run the compiled CLI from a checkout: `npm run
// package`, and the test and benchmark setups (`node bin/dist-fresh.mjs`). bin/migrate itself
// never walks src/: it runs dist/ as it is.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function newest(dir) {
  // A directory's own mtime changes when a file in it is added, removed or renamed.
  let time = statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    time = Math.max(time, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return time;
}

/** Build dist/ unless it is at least as new as every file under src/; true when it built. */
export function ensureDist(log = (line) => process.stderr.write(`${line}\n`)) {
  const stamp = join(root, "dist/.stamp");
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= newest(join(root, "src"))) return false;
  log("dist/ is missing or older than src/: building it");
  execFileSync(process.execPath, [join(root, "bin/build-dist.mjs")], { stdio: "inherit" });
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) ensureDist();
