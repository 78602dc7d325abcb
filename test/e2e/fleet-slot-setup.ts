/**
 * Runs before each e2e file in its worker: points the fleet fixtures at this worker's fleet
 * (fleet-slots.ts) before the test file imports them. Fleet 1 is up from the global setup; a
 * further fleet is brought up here, by the first file that runs on it (a run of one file never
 * builds a second fleet), and reused by the next ones (about half a second).
 */
import { inject } from "vitest";
import { slotEnv } from "./fleet-slots.ts";

const slot = Number(process.env.VITEST_POOL_ID ?? "1");
Object.assign(process.env, slotEnv(slot));
if (slot > 1 && inject("e2eSkipReason") === "") {
  const { fleetUp } = await import("../../fixtures/fleet/index.ts");
  await fleetUp({ log: (line) => process.stderr.write(`fleet ${slot}: ${line}\n`) });
}
