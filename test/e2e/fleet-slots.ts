/**
 * The e2e tier runs files on several fleets at once, one file per fleet at a time: worker slot k
 * of vitest's pool (VITEST_POOL_ID, 1 … maxWorkers, never shared by two files at once) uses fleet
 * k. Fleet 1 is the shared fleet (`npm run fleet:up`, FLEET_DIR and FLEET_NET_BASE as set); fleet
 * k > 1 lives beside it in `<FLEET_DIR>-k`, ten address blocks up (each fleet uses its base … base
 * + 9: hosts, the lifecycle test's own fleet, the state database), and shares fleet 1's seed
 * caches. E2E_FLEETS sets how many (default 2; 1 runs the files one after another).
 *
 * No import of the fleet's topology here: it reads FLEET_* when first imported, which must come
 * after a worker has chosen its slot.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

const REPO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const DEFAULT_BASE = 10;

export function e2eFleetCount(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.E2E_FLEETS ?? "2";
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1 || count > 4)
    throw new Error(
      `E2E_FLEETS=${raw}: set a whole number from 1 to 4 (fleets the e2e tier runs files on at once)`,
    );
  return count;
}

/** The FLEET_* settings of fleet `slot` (1-based): none for slot 1, the environment's own fleet. */
export function slotEnv(slot: number, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (slot === 1) return {};
  const dir = path.resolve(env.FLEET_DIR ?? path.join(REPO_DIR, ".fleet"));
  const base = Number(env.FLEET_NET_BASE ?? DEFAULT_BASE);
  return {
    FLEET_DIR: `${dir}-${slot}`,
    FLEET_NET_BASE: String(base + 10 * (slot - 1)),
    FLEET_SEED_DIR: path.resolve(env.FLEET_SEED_DIR ?? path.join(dir, "seed")),
  };
}
