/**
 * Readiness at the start of apply (issue 14): a target whose file system is too small for what
 * the source holds is refused before any change, with exit code 6 and the numbers; the same run
 * goes ahead once the space is there. The small file system is a 1 MiB tmpfs mounted at the
 * portal's path inside tgt-1's own mount namespace.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { address, apply, journal, preparePlan, resetFleet, sh } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");

describe.skipIf(skipReason !== "")("readiness: a target without space", () => {
  let planFile: string;
  let stateDir: string;
  let refused: { exitCode: number | undefined; stderr: string };

  beforeAll(async () => {
    await resetFleet();
    await sh(
      "tgt-1",
      "rm -rf /srv/portal && mkdir -p /srv/portal && mount -t tmpfs -o size=1m readiness-e2e /srv/portal",
    );
    ({ planFile, stateDir } = preparePlan());
    const result = await apply(planFile, stateDir, ["--only", "portal", "--output", "plain"]);
    refused = { exitCode: result.exitCode, stderr: String(result.stderr) };
  });

  afterAll(async () => {
    await sh("tgt-1", "umount /srv/portal 2>/dev/null; rmdir /srv/portal 2>/dev/null; true");
  });

  it("refuses before any step with exit code 6, naming the host, the mount and both sizes", () => {
    expect(refused.exitCode).toBe(6);
    expect(refused.stderr).toContain("readiness: 1 problem(s) block this run; nothing was changed");
    expect(refused.stderr).toMatch(
      /BLOCK {2}portal {2}space: tgt-1 has 1\.00 MiB free on \/srv\/portal but .* need \d+\.\d MiB more from portal-src/,
    );
    expect(refused.stderr).toContain("never rehearsed");
    const records = journal(stateDir);
    expect(records.some((r) => r.type === "step-start")).toBe(false);
    expect(records.find((r) => r.type === "run-end")).toMatchObject({ status: "failed" });
  });

  it("leaves the source serving and the target untouched", async () => {
    expect((await sh("tgt-1", "ls -A /srv/portal")).stdout).toBe("");
    expect((await sh("gw", "cat /etc/nginx/conf.d/portal.upstream")).stdout).toBe(
      `upstream portal { server ${address("portal-src")}:80; }\n`,
    );
  });

  it("lets the same apply through once the target has the space", async () => {
    await sh("tgt-1", "umount /srv/portal");
    const result = await apply(planFile, stateDir, ["--only", "portal"]);
    expect(result.exitCode).toBe(0);
  });
});
