/**
 * Global setup of the e2e tier: brings up (or reuses) the loopback test fleet. Without root the
 * fleet cannot exist (mount namespaces, sshd on port 22): in CI that fails the run, never
 * skips it; on a developer machine the tier is skipped explicitly, with the reason, via
 * `inject("e2eSkipReason")`.
 */
import { mkdirSync } from "node:fs";
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
import { acquireExclusive } from "./exclusive.ts";

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
  project.provide("e2eSkipReason", "");
  return async () => {
    unregisterFleetUser();
    // Leave a fleet that was already up (e.g. started by .ci/run) or that another run still uses.
    if (!wasRunning && otherFleetUsers().length === 0 && process.env.FLEET_KEEP !== "1") await fleetDown();
    release();
  };
}
