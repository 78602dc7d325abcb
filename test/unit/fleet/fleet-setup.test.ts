/**
 * What `npm run fleet:up` checks before it builds anything: the Debian packages the hosts run
 * (installed, or a stop naming the command that installs them) and where the fleet's directory
 * may live. Run as real child processes, the way the npm script runs them.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, "../../..");
const scratch = mkdtempSync(path.join(tmpdir(), "fleet-setup-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs a command and resolves with its exit code and output, whatever the code. */
async function outcome(file: string, args: string[], env: NodeJS.ProcessEnv) {
  try {
    const { stdout, stderr } = await run(file, args, { cwd: repo, env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const tsx = [path.join(repo, "node_modules", "tsx", "dist", "cli.mjs")];

describe("fleet:up on a machine without the Debian packages", () => {
  // An empty PATH hides every tool in /usr/bin, apt-get with them: nothing can be installed.
  const bare = { PATH: path.join(scratch, "empty-bin"), FLEET_DIR: path.join(scratch, "fleet") };

  it("lists what is missing", async () => {
    const result = await outcome("/bin/bash", [".ci/packages", "check"], bare);
    expect(result.code).toBe(1);
    expect(result.stdout.trim().split(" ")).toEqual(
      expect.arrayContaining(["openssh-client", "rsync", "postgresql", "mariadb-client", "util-linux"]),
    );
  });

  it("stops at once with one paragraph naming the command that installs them", async () => {
    const result = await outcome(process.execPath, [...tsx, "fixtures/fleet/cli.ts", "up"], bare);
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^packages: the test fleet needs Debian packages this machine lacks \(openssh-client /,
    );
    expect(lines[0]).toContain("cannot be installed automatically because apt-get is not available here");
    expect(lines[0]).toContain("`sudo .ci/packages ensure`");
    expect(lines[0]).toMatch(/then run `npm run fleet:up` again\.$/);
  });
});

describe("where the fleet's directory may live", () => {
  const check = (fleetDir: string) =>
    outcome(
      process.execPath,
      [...tsx, "-e", 'import("./fixtures/fleet/topology.ts").then((t) => t.checkFleetDirs())'],
      { PATH: process.env.PATH ?? "", FLEET_DIR: fleetDir },
    );

  it.each(["/root/migrate/.fleet", "/home/ops/migrate/.fleet", "/tmp/migrate/.fleet"])(
    "accepts %s (boot.sh mounts it back into the host's fresh tree)",
    async (dir) => {
      expect(await check(dir)).toMatchObject({ code: 0, stderr: "" });
    },
  );

  it("refuses a tree the hosts overlay, naming the variable and a place that works", async () => {
    const result = await check("/var/lib/migrate/.fleet");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "FLEET_DIR /var/lib/migrate/.fleet is inside /var, which every fleet host overlays with its own copy",
    );
    expect(result.stderr).toContain("`FLEET_DIR=/tmp/fleet npm run fleet:up`");
  });
});
