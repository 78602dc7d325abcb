#!/usr/bin/env node
// Compiles src/ to dist/ (run by `npm ci` through the `prepare` script, and by `npm run build`):
// bin/migrate runs only what is here. Non-TypeScript assets are copied beside the compiled
// modules; dist/.stamp marks the build (bin/dist-fresh.mjs tells a stale dist by it). The
// build goes to a directory of its own and replaces dist/ in one rename, so a command or a
// test run that starts meanwhile finds the old build or the new one, never half of one.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");
const dist = join(root, "dist");
const next = join(root, `dist.building-${process.pid}`);

rmSync(next, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.build.json"), "--outDir", next],
  { stdio: "inherit" },
);

function copyAssets(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) copyAssets(path);
    else if (!/\.tsx?$/.test(entry.name)) {
      const to = join(next, relative(src, path));
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(path, to);
    }
  }
}
copyAssets(src);
writeFileSync(join(next, ".stamp"), `${new Date().toISOString()}\n`);
const old = join(root, `dist.old-${process.pid}`);
try {
  renameSync(dist, old);
} catch (error) {
  if (error.code !== "ENOENT") throw error;
}
renameSync(next, dist);
rmSync(old, { recursive: true, force: true });
