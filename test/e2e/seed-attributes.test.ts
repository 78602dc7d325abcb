/**
 * Seed bundles keep extended attributes (issue 11, item 11, for `seed export`/`seed import`):
 * the messy portal's ledger carries a POSIX ACL and a user xattr, its upload directory a default
 * ACL, its helper a file capability. Exported into a bundle and imported on tgt-1, every entry
 * must match the bundle's manifest (attributes included) from the chunks alone, with nothing sent
 * over the link, and the target must hold the same ACLs, xattrs and capability as the source.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { MESSY_PORTAL } from "../../fixtures/fleet/messy.ts";
import { runCli } from "./apply-support.ts";
import { preparePlan, resetFleet, sh } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");
const ATTRIBUTES = [MESSY_PORTAL.acl, MESSY_PORTAL.aclDir, MESSY_PORTAL.capability]
  .map(
    (path) => `getfattr -h -d -m - -e hex --absolute-names '${path}'; getfacl -n --absolute-names '${path}'`,
  )
  .join("; ");

describe.skipIf(skipReason !== "")("seed bundles keep ACLs, xattrs and capabilities", () => {
  let stateDir: string;
  let exported: { exitCode: number; stderr: string };
  let imported: { exitCode: number; stdout: string; stderr: string };

  beforeAll(async () => {
    await resetFleet();
    const prepared = preparePlan();
    stateDir = prepared.stateDir;
    const bundle = join(mkdtempSync(join(tmpdir(), "seed-attrs-")), "disk");
    const common = [prepared.planFile, "--only", "portal", "--state-dir", stateDir];
    exported = await runCli(["seed", "export", ...common, "--to", bundle]);
    imported = await runCli(["seed", "import", ...common, "--from", bundle]);
  });
  afterAll(resetFleet);

  it("verifies every chunk against the bundle's manifest, attributes included, sending nothing over the link", () => {
    expect(exported.exitCode, exported.stderr).toBe(0);
    expect(imported.exitCode, imported.stderr).toBe(0);
    const chunks = readFileSync(join(stateDir, "fleet-city-bureaus", "seed.jsonl"), "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((r) => r.type === "seed-chunk" && r.op === "import");
    expect(chunks.length).toBeGreaterThan(0);
    for (const chunk of chunks) expect(chunk).toMatchObject({ outcome: "verified", resent: 0 });
    expect(imported.stderr).toContain("0.0 MiB sent over the link");
    expect(imported.stderr).not.toMatch(/changed file\(s\) sent from|DAMAGED/);
  });

  it("restores the source's ACLs, user xattr and file capability on the target", async () => {
    const source = await sh("portal-src", ATTRIBUTES);
    expect(source.stdout).toContain("system.posix_acl_access");
    expect(source.stdout).toContain("system.posix_acl_default");
    expect(source.stdout).toContain("user.");
    expect(source.stdout).toContain("security.capability");
    const target = await sh("tgt-1", ATTRIBUTES);
    expect(target.code, target.stderr).toBe(0);
    expect(target.stdout).toBe(source.stdout);
  });
});
