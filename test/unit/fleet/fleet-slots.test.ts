/**
 * Which fleet an e2e worker uses: fleets beside the shared one never share its addresses (each
 * fleet uses ten blocks: hosts, the lifecycle test's fleet, the state database) nor its directory,
 * and they reuse its seed caches.
 */
import { describe, expect, it } from "vitest";
import { e2eFleetCount, slotEnv } from "../../e2e/fleet-slots.ts";

describe("e2e fleet slots", () => {
  it("leaves slot 1 on the environment's own fleet", () => {
    expect(slotEnv(1, { FLEET_DIR: "/work/x/.fleet", FLEET_NET_BASE: "50" })).toEqual({});
  });

  it("puts slot k beside the shared fleet, ten address blocks up per slot, with its seeds", () => {
    const env = { FLEET_DIR: "/work/x/.fleet", FLEET_NET_BASE: "50" };
    expect(slotEnv(2, env)).toEqual({
      FLEET_DIR: "/work/x/.fleet-2",
      FLEET_NET_BASE: "60",
      FLEET_SEED_DIR: "/work/x/.fleet/seed",
    });
    expect(slotEnv(3, { ...env, FLEET_SEED_DIR: "/var/cache/seeds" })).toMatchObject({
      FLEET_DIR: "/work/x/.fleet-3",
      FLEET_NET_BASE: "70",
      FLEET_SEED_DIR: "/var/cache/seeds",
    });
  });

  it("defaults to the checkout's .fleet and base 10", () => {
    const env = slotEnv(2, {});
    expect(env.FLEET_DIR).toMatch(/\/\.fleet-2$/);
    expect(env.FLEET_NET_BASE).toBe("20");
    expect(env.FLEET_SEED_DIR).toBe(`${env.FLEET_DIR?.replace(/-2$/, "")}/seed`);
  });

  it("runs on two fleets unless E2E_FLEETS says otherwise, and refuses a count it cannot use", () => {
    expect(e2eFleetCount({})).toBe(2);
    expect(e2eFleetCount({ E2E_FLEETS: "1" })).toBe(1);
    for (const bad of ["0", "5", "two", "1.5", ""])
      expect(() => e2eFleetCount({ E2E_FLEETS: bad })).toThrow(/E2E_FLEETS=.*whole number from 1 to 4/);
  });
});
