/**
 * Issue 11 item 8: two workloads behind one gateway file. The shared upstream file holds the
 * portal's block, the tax system's block and, on the portal's host but another port, an admin
 * app that is no workload's. Both workloads cut over at once (same wave): each switch moves only
 * its own block, ports kept, and neither loses the other's change; rolling back the portal moves
 * back only the portal's line.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runCli } from "./apply-support.ts";
import { hostFile } from "./support/messy.ts";
import { address, apply, journal, preparePlan, resetFleet, sh } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");
const SHARED = "/etc/nginx/conf.d/shared.upstream";

function sharedFile(portal: string, tax: string): string {
  return [
    "# Two systems behind one gateway file, and the portal host's admin app on another port.",
    `upstream portal { server ${portal}:80; }`,
    "upstream portal_admin {",
    `    server ${address("portal-src")}:8090 max_fails=2;`,
    "}",
    `upstream tax { server ${tax}:8080; }`,
    "",
  ].join("\n");
}

// Two steps of one story (both switched, then one rolled back): never shuffled.
describe.skipIf(skipReason !== "")(
  "messy cutover: two upstream blocks in one gateway file",
  { shuffle: false },
  () => {
    let planFile: string;
    let stateDir: string;
    let exitCode: number | undefined;

    beforeAll(async () => {
      await resetFleet();
      const shared = sharedFile(address("portal-src"), address("tax-src"));
      const setup = await sh(
        "gw",
        `rm -f /etc/nginx/conf.d/portal.upstream /etc/nginx/conf.d/tax.upstream && echo ${Buffer.from(shared).toString("base64")} | base64 -d > ${SHARED} && nginx -t -q && nginx -s reload`,
      );
      expect(setup.code, setup.stderr).toBe(0);
      ({ planFile, stateDir } = preparePlan((plan) => {
        for (const workload of plan.workloads ?? []) {
          if (workload.cutover?.strategy === "proxy" && workload.name !== "licensing")
            workload.cutover.upstreamFile = SHARED;
        }
      }));
      exitCode = (await apply(planFile, stateDir, ["--only", "portal,tax-collection"])).exitCode;
    });

    afterAll(async () => {
      await resetFleet();
    });

    it("switches each workload's block alone, keeping ports and the other blocks", async () => {
      expect(exitCode).toBe(0);
      const ends = journal(stateDir).filter((r) => r.type === "workload-end");
      expect(ends.map((r) => (r.type === "workload-end" ? r.status : ""))).toEqual([
        "succeeded",
        "succeeded",
      ]);
      expect(hostFile("gw", SHARED)).toBe(sharedFile(address("tgt-1"), address("tgt-2")));
      const tax = await fetch(`http://${address("gw")}/tax/health`, { signal: AbortSignal.timeout(10_000) });
      expect(tax.status).toBe(200);
    });

    it("rolls back one workload's line only", async () => {
      const rollback = await runCli(["rollback", planFile, "portal", "--yes", "--state-dir", stateDir]);
      expect(rollback.exitCode, rollback.stderr).toBe(0);
      expect(hostFile("gw", SHARED)).toBe(sharedFile(address("portal-src"), address("tgt-2")));
      const portal = await fetch(`http://${address("gw")}/portal/`, { signal: AbortSignal.timeout(10_000) });
      expect(portal.status).toBe(200);
      const tax = await fetch(`http://${address("gw")}/tax/health`, { signal: AbortSignal.timeout(10_000) });
      expect(tax.status).toBe(200);
    });
  },
);
