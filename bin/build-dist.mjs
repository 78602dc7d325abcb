#!/usr/bin/env node
// Compiles src/ to dist/ (run by `npm ci` through the `prepare` script) so bin/migrate starts
// without tsx's loader: about 0.3 s less per invocation. Non-TypeScript assets are copied beside
// the compiled modules; dist/.stamp marks the build so bin/migrate can tell a stale dist.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");
const dist = join(root, "dist");

rmSync(dist, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.build.json")],
  {
    stdio: "inherit",
  },
);

function copyAssets(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) copyAssets(path);
    else if (!/\.tsx?$/.test(entry.name)) {
      const to = join(dist, relative(src, path));
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(path, to);
    }
  }
}
copyAssets(src);
writeFileSync(join(dist, ".stamp"), `${new Date().toISOString()}\n`);
