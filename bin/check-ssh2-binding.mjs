#!/usr/bin/env node
// Run by `npm ci` (the `prepare` script) after the dependencies' install scripts: ssh2 builds
// its optional native crypto binding in its install script and, if that fails, carries on
// silently with Node's crypto, which moves SSH data at about a third of the speed (README,
// performance). So the outcome is decided here, not left to whether a compiler happened to be
// present: the binding must load, or MIGRATE_SSH2_JS=1 says running without it is intended.
// Usage: node bin/check-ssh2-binding.mjs [ssh2 package directory]
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const ssh2 = resolve(process.argv[2] ?? join(root, "node_modules", "ssh2"));
const binding = join(ssh2, "lib", "protocol", "crypto", "build", "Release", "sshcrypto.node");

try {
  createRequire(import.meta.url)(binding);
} catch (error) {
  if (process.env.MIGRATE_SSH2_JS === "1") process.exit(0);
  const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
  process.stderr.write(
    `migrate: ssh2's native crypto binding is not built (${reason}); without it SSH transfers run at ` +
      "about a third of the speed. Install a C++ toolchain (Debian: `apt-get install python3 make g++`, " +
      "or `.ci/packages ensure`) and run `npm rebuild ssh2`, or set MIGRATE_SSH2_JS=1 to install " +
      "without it on purpose.\n",
  );
  process.exit(1);
}
