/**
 * fleet:up / fleet:down as the CLI runs them, on a second, isolated fleet (own directory and
 * addresses) so the shared fleet other tests use is not disturbed: up is idempotent, down ends
 * every process it started and leaves none behind.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, inject, it } from "vitest";
import { fleetPaths, NET_BASE, REPO_DIR } from "../../fixtures/fleet/topology.ts";

const run = promisify(execFile);
const skipReason = inject("e2eSkipReason");
const dir = path.join(REPO_DIR, "tmp", `fleet-lifecycle-${process.pid}`);
// Addresses next to this checkout's own fleet (which uses NET_BASE to NET_BASE + 3), never a
// fixed base: on a machine where several fleets run, a fixed 127.0.70.x was another's fleet.
const base = NET_BASE + 5;
// The shared fleet's seed caches (portal, database clusters) make this fleet quick to build.
const env = {
  ...process.env,
  FLEET_DIR: dir,
  FLEET_NET_BASE: String(base),
  FLEET_SEED_DIR: fleetPaths.seedDir,
};
const tag = `@${createHash("sha256").update(dir).digest("hex").slice(0, 8)} /etc overlay`;

function cli(command: string) {
  return run("npx", ["tsx", "fixtures/fleet/cli.ts", command], { cwd: REPO_DIR, env, timeout: 240_000 });
}

/** Pids whose mount table shows this isolated fleet's overlays. */
function isolatedFleetPids(): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/mounts`, "utf8").includes(tag);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe.skipIf(skipReason !== "")("fleet:up and fleet:down", () => {
  afterAll(async () => {
    if (isolatedFleetPids().length > 0) await cli("down");
    rmSync(dir, { recursive: true, force: true });
  });

  it("starts a fleet, reuses it, and stops every process it started", async () => {
    await cli("up");
    const fleet = JSON.parse(readFileSync(path.join(dir, "fleet.json"), "utf8"));
    expect(fleet.hosts.map((h: { address: string }) => h.address)).toContain(`127.0.${base}.1`);
    const pids = isolatedFleetPids();
    // sshd per host plus nginx, PostgreSQL and the apps.
    expect(pids.length).toBeGreaterThan(20);

    const again = await cli("up");
    expect(again.stderr).toMatch(/up in \d/);
    expect(JSON.parse(readFileSync(path.join(dir, "fleet.json"), "utf8")).startedAt).toBe(fleet.startedAt);

    await cli("down");
    expect(isolatedFleetPids()).toEqual([]);
    expect(existsSync(path.join(dir, "fleet.json"))).toBe(false);
    // Keys survive, so host fingerprints stay stable across restarts.
    expect(existsSync(path.join(dir, "client", "id_ed25519"))).toBe(true);

    await cli("down");
    expect(isolatedFleetPids()).toEqual([]);
  });
});
