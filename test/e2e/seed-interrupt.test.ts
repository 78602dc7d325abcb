/**
 * SIGTERM stops `migrate seed export` gracefully, through the same command session as apply and
 * rollback: the export ends with exit 130, says it is stopping, and releases the state lock.
 * The plan's bandwidth budget keeps the export running long enough to be stopped mid-way.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Fleet, readFleet, resetSystems } from "../../fixtures/fleet/index.ts";
import { newStateDir, startCli, throttledPlan, until } from "./apply-support.ts";

const skipReason = inject("e2eSkipReason");
const PLAN_NAME = "fleet-city-bureaus";

describe.skipIf(skipReason !== "")("seed export on SIGTERM", () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = readFleet();
    await resetSystems();
  });
  afterAll(async () => {
    await resetSystems();
  });

  it("stops after the chunk in flight, exits 130 and releases the lock", async () => {
    const stateDir = newStateDir();
    const bundle = join(mkdtempSync(join(tmpdir(), "seed-interrupt-")), "ferry-disk");
    // 1 MiB/s and 4 MiB chunks: the ~20 MiB portal takes about 20 s in five chunks.
    const planFile = throttledPlan(fleet.planFile, "1MiB/s");
    const child = startCli([
      "seed",
      "export",
      planFile,
      "--only",
      "portal",
      "--to",
      bundle,
      "--chunk-size",
      "4MiB",
      "--state-dir",
      stateDir,
    ]);
    let stderr = "";
    child.stderr?.on("data", (data: Buffer) => {
      stderr += data.toString();
    });
    await until(() => /\(1\/\d+\)/.test(stderr), "the first chunk to be written");
    child.kill("SIGTERM");
    const result = await child;
    expect(result.exitCode, String(result.stderr)).toBe(130);
    expect(String(result.stderr)).toContain("stopping…");
    expect(String(result.stderr)).not.toContain("Exported portal");
    expect(existsSync(join(stateDir, PLAN_NAME, "lock"))).toBe(false);
  });
});
