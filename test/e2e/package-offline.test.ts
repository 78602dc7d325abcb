/**
 * `npm run package` as an air-gapped site uses it: the x86_64 tarball unpacked into a fresh
 * directory runs `validate` and `plan` inside a network namespace with no network at all and the
 * machine's own node made unusable, so everything it needs must be in the tarball. The same
 * tarball inventories the real fleet over SSH (ssh2 without its native binding). For aarch64 the
 * shipped node must be an AArch64 ELF and, where qemu-user-static is installed, run `--version`
 * and `validate` under emulation.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { readFleet } from "../../fixtures/fleet/index.ts";

const skipReason = inject("e2eSkipReason");
const root = new URL("../..", import.meta.url).pathname;
const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version as string;
const QEMU = ["/usr/bin/qemu-aarch64-static", "/usr/bin/qemu-aarch64"].find((path) => existsSync(path));
/**
 * The AArch64 C library for the emulated node: Debian's libc6-arm64-cross,
 * libstdc++6-arm64-cross and libgcc-s1-arm64-cross install it here without multiarch.
 */
const SYSROOT = "/usr/aarch64-linux-gnu";
const EMULATION =
  QEMU !== undefined &&
  existsSync(join(SYSROOT, "lib/ld-linux-aarch64.so.1")) &&
  existsSync(join(SYSROOT, "lib/libstdc++.so.6"))
    ? ""
    : "needs qemu-user-static, libc6-arm64-cross, libstdc++6-arm64-cross and libgcc-s1-arm64-cross (apt-get install)";

/** ELF e_machine (offset 18, little-endian): 0x3e x86-64, 0xb7 AArch64. */
function elfMachine(file: string): number {
  const header = Buffer.alloc(20);
  const fd = openSync(file, "r");
  readSync(fd, header, 0, 20, 0);
  expect(header.subarray(0, 4).toString("latin1")).toBe("\u007fELF");
  return header.readUInt16LE(18);
}

describe.skipIf(skipReason !== "")("offline package", () => {
  let work: string;
  const installed = (arch: string) => join(work, "opt", `migrate-${version}-linux-${arch}`);

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "migrate-package-"));
    const out = join(work, "artifacts");
    // The real command: builds dist/ when stale, then both tarballs.
    await execa("npm", ["run", "--silent", "package", "--", "--out", out], { cwd: root });
    for (const arch of ["x86_64", "aarch64"]) {
      const tarball = join(out, `migrate-${version}-linux-${arch}.tar.gz`);
      const [digest] = readFileSync(`${tarball}.sha256`, "utf8").split(" ");
      expect(execFileSync("sha256sum", [tarball], { encoding: "utf8" }).split(" ")[0]).toBe(digest);
      execFileSync("mkdir", ["-p", join(work, "opt")]);
      execFileSync("tar", ["-xzf", tarball, "-C", join(work, "opt")]);
    }
    // Building dist/ and both tarballs is CPU work: over 4 minutes on a loaded 2-core machine.
  }, 600_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("runs validate and plan with no network and no node on the machine", async () => {
    const bin = join(installed("x86_64"), "bin/migrate");
    const plan = join(installed("x86_64"), "plans/henan-finance.yaml");
    // A new network namespace holds only a down loopback; in a private mount namespace every
    // node outside the package is replaced by /dev/null. HOME and the environment are empty.
    const script = [
      'for n in /usr/bin/node /usr/local/bin/node /bin/node; do [ -e "$n" ] && mount --bind /dev/null "$n"; done',
      "ip -o link | grep -v ' lo:' && exit 90",
      "node --version 2>/dev/null && exit 91",
      `env -i PATH=/usr/bin:/bin HOME=${work} ${bin} validate ${plan} || exit 92`,
      `env -i PATH=/usr/bin:/bin HOME=${work} ${bin} plan ${plan}; echo "plan-exit=$?"`,
    ].join("\n");
    const r = await execa("unshare", ["--net", "--mount", "--propagation", "private", "sh", "-c", script], {
      reject: false,
    });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`${plan}: valid`);
    expect(r.stdout).toContain(
      "Wave 2 · 1 workload · 5 steps pending · window 2027-12-04 22:00 – 2027-12-05 04:00 +08:00",
    );
    expect(r.stdout).toContain("plan-exit=0");
  });

  it("ships node 20 for the CPU and no native addon, and reaches real hosts over SSH", async () => {
    const dir = installed("x86_64");
    expect(elfMachine(join(dir, "node/bin/node"))).toBe(0x3e);
    const own = await execa(join(dir, "node/bin/node"), ["-p", "process.version"]);
    expect(own.stdout).toMatch(/^v20\./);
    expect(execFileSync("find", [dir, "-name", "*.node"], { encoding: "utf8" })).toBe("");
    expect(existsSync(join(dir, "lib/node_modules/cpu-features"))).toBe(false);
    expect(existsSync(join(dir, "lib/node_modules/tsx"))).toBe(false);

    const fleet = readFleet();
    const r = await execa(join(dir, "bin/migrate"), ["inventory", fleet.planFile, "--json"], {
      reject: false,
      env: { PATH: "/usr/bin:/bin" },
      extendEnv: false,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { hosts: Record<string, { ok: boolean }> };
    const hosts = Object.values(report.hosts);
    expect(hosts.length).toBeGreaterThanOrEqual(8);
    expect(hosts.every((h) => h.ok)).toBe(true);
  });

  it("ships an AArch64 node in the aarch64 tarball", () => {
    expect(elfMachine(join(installed("aarch64"), "node/bin/node"))).toBe(0xb7);
    expect(execFileSync("find", [installed("aarch64"), "-name", "*.node"], { encoding: "utf8" })).toBe("");
  });

  // CI installs the emulator (.ci/packages): there a missing one is a failure, never a skip.
  it.skipIf(EMULATION !== "" && process.env.CI !== "true")(
    `runs the aarch64 tarball's node and validate under qemu-user ${EMULATION}`,
    async () => {
      expect(EMULATION, "the aarch64 emulation case").toBe("");
      const dir = installed("aarch64");
      const node = join(dir, "node/bin/node");
      const v = await execa(QEMU!, ["-L", SYSROOT, node, "--version"]);
      expect(v.stdout).toMatch(/^v20\./);
      // The launcher's command line with the CPU's node, run under the emulator (no binfmt here).
      const r = await execa(
        QEMU!,
        [
          "-L",
          SYSROOT,
          node,
          "--max-semi-space-size=4",
          "--expose-gc",
          join(dir, "lib/migrate.mjs"),
          "validate",
          join(dir, "plans/henan-finance.yaml"),
        ],
        { reject: false },
      );
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toContain("henan-finance.yaml: valid");
    },
  );
});
