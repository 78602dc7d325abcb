/**
 * Global setup of the e2e tier: brings up (or reuses) the loopback test fleet, and takes the
 * further fleets the tier runs files on at once (fleet-slots.ts; each is brought up by the first
 * file that runs on it, and stopped here at the end when this run started it). Without root the
 * fleet cannot exist (mount namespaces, sshd on port 22): in CI that fails the run, never
 * skips it; on a developer machine the tier is skipped explicitly, with the reason, via
 * `inject("e2eSkipReason")`.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { TestProject } from "vitest/node";
import {
  fleetDown,
  fleetPaths,
  fleetProcesses,
  fleetUp,
  otherFleetUsers,
  registerFleetUser,
  unregisterFleetUser,
} from "../../fixtures/fleet/index.ts";
import { isAlive } from "../../fixtures/fleet/processes.ts";
import { REPO_DIR } from "../../fixtures/fleet/topology.ts";
import { acquireExclusive } from "./exclusive.ts";
import { e2eFleetCount, slotEnv } from "./fleet-slots.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Empty when the e2e tier runs; otherwise why it cannot run here. */
    e2eSkipReason: string;
  }
}

const NEEDS_ROOT =
  "e2e tier needs root for mount namespaces (each fleet host is a real sshd in its own mount and UTS " +
  "namespace, listening on port 22 of a 127.0.N.M address)";

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.getuid?.() !== 0) {
    if (process.env.CI === "true") {
      throw new Error(`${NEEDS_ROOT}; CI=true, so the tier fails instead of skipping. Run .ci/run as root.`);
    }
    process.stderr.write(`${NEEDS_ROOT}; skipping\n`);
    project.provide("e2eSkipReason", `${NEEDS_ROOT}; skipping`);
    return undefined;
  }
  const log = (line: string) => process.stderr.write(`fleet: ${line}\n`);
  // Registered before waiting, so a run that finishes meanwhile does not stop the fleet under us.
  registerFleetUser();
  // Per fleet directory, so an isolated fleet (FLEET_DIR) does not wait for the shared one.
  mkdirSync(fleetPaths.root, { recursive: true });
  const release = await acquireExclusive(fleetPaths.root, log);
  const wasRunning = fleetProcesses().size > 0;
  try {
    await fleetUp({ log });
  } catch (error) {
    release();
    unregisterFleetUser();
    throw error;
  }
  // Taken after fleet 1's lock, always in slot order, so two runs waiting on each other cannot
  // each hold a fleet the other needs.
  const further: { env: NodeJS.ProcessEnv; dir: string; wasRunning: boolean; release: () => void }[] = [];
  for (let slot = 2; slot <= e2eFleetCount(); slot++) {
    const env = { ...process.env, ...slotEnv(slot) };
    const dir = env.FLEET_DIR ?? "";
    mkdirSync(dir, { recursive: true });
    const releaseSlot = await acquireExclusive(dir, log);
    further.push({ env, dir, wasRunning: fleetRunning(dir), release: releaseSlot });
  }
  project.provide("e2eSkipReason", "");
  return async () => {
    for (const fleet of further) {
      if (
        !fleet.wasRunning &&
        process.env.FLEET_KEEP !== "1" &&
        existsSync(path.join(fleet.dir, "fleet.json"))
      )
        fleetCli("down", fleet.env);
      fleet.release();
    }
    unregisterFleetUser();
    // Leave a fleet that was already up (e.g. started by .ci/run) or that another run still uses.
    if (!wasRunning && otherFleetUsers().length === 0 && process.env.FLEET_KEEP !== "1") await fleetDown();
    release();
  };
}

/** Whether the fleet in `dir` was up: its fleet.json names hosts whose sshd are all alive. */
function fleetRunning(dir: string): boolean {
  try {
    const fleet = JSON.parse(readFileSync(path.join(dir, "fleet.json"), "utf8")) as {
      hosts: { pid: number }[];
    };
    return fleet.hosts.length > 0 && fleet.hosts.every((host) => isAlive(host.pid));
  } catch {
    return false;
  }
}

/** The fleet manager's command line on another fleet (the fixtures here are bound to fleet 1's). */
function fleetCli(command: "down", env: NodeJS.ProcessEnv): void {
  execFileSync(process.execPath, ["--import", "tsx", "fixtures/fleet/cli.ts", command], {
    cwd: REPO_DIR,
    env,
    stdio: ["ignore", "inherit", "inherit"],
    timeout: 180_000,
  });
}
