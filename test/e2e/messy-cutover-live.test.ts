/**
 * Issue 11 items 7 and 9, on the fleet, one workload (portal) through three applies.
 *  - Item 7: the target's application writes files into the workload's tree as soon as
 *    traffic reaches it (here: on the first request the gateway forwards). Verify checks the
 *    data as of the switch, so these writes neither fail verify nor get rolled back.
 *  - Item 9: after a rollback, the operator revises the source's config; the next apply must
 *    bring the revised config to the target, rewritten — not the one backed up by the
 *    rolled-back run, whose rewrite would hash exactly as expected.
 */
import { beforeAll, describe, expect, inject, it } from "vitest";
import { hostExec } from "../../fixtures/fleet/index.ts";
import { runCli } from "./apply-support.ts";
import { address, apply, journal, preparePlan, resetFleet, sh } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");

// On the target: wait for a request reaching its nginx through the gateway, then write uploads
// into the workload's tree, as a live application does once it serves users.
const LIVE_WRITER = `
log=/var/log/nginx/access.log
touch "$log"
seen=$(wc -l < "$log")
end=$(($(date +%s) + 150))
while [ "$(date +%s)" -lt "$end" ]; do
  tail -n +$((seen + 1)) "$log" | grep -q 'GET /' && break
  sleep 0.02
done
mkdir -p /srv/portal/htdocs/uploads
for i in $(seq 1 40); do echo "upload $i" > /srv/portal/htdocs/uploads/u$i.txt; sleep 0.05; done
`;

describe.skipIf(skipReason !== "")("messy cutover: a live target", () => {
  let stateDir: string;
  let first: { exitCode?: number | undefined; stderr: unknown };

  beforeAll(async () => {
    await resetFleet();
    const prepared = preparePlan();
    stateDir = prepared.stateDir;
    const writer = hostExec("tgt-1", LIVE_WRITER, { timeoutMs: 180_000 });
    first = await apply(prepared.planFile, stateDir, ["--only", "portal"]);
    await writer;
  });

  it("does not fail verify, nor roll back, for files the live target wrote after the switch", async () => {
    expect(first.exitCode, String(first.stderr)).toBe(0);
    const end = journal(stateDir).find((r) => r.type === "workload-end");
    expect(end).toMatchObject({ workload: "portal", status: "succeeded" });
    expect((await sh("tgt-1", "ls /srv/portal/htdocs/uploads | wc -l")).stdout.trim()).toBe("40");
    const upstream = await sh("gw", "cat /etc/nginx/conf.d/portal.upstream");
    expect(upstream.stdout).toContain(`${address("tgt-1")}:80`);
  });
});

describe.skipIf(skipReason !== "")("messy cutover: a second run after a rollback", () => {
  it("brings the revised config after a rollback, not the rolled-back run's backup", async () => {
    await resetFleet();
    const { planFile, stateDir } = preparePlan();
    const first = await apply(planFile, stateDir, ["--only", "portal"]);
    expect(first.exitCode, first.stderr).toBe(0);
    const rollback = await runCli(["rollback", planFile, "portal", "--yes", "--state-dir", stateDir]);
    expect(rollback.exitCode, rollback.stderr).toBe(0);
    // The target's nginx is a host runtime other sites use; the rollback stopped it.
    await sh("tgt-1", "systemctl start nginx");
    await sh("portal-src", "echo '# revised after the rollback' >> /etc/portal/site.conf");
    const again = await apply(planFile, stateDir, ["--only", "portal"]);
    expect(again.exitCode, again.stderr).toBe(0);
    const config = (await sh("tgt-1", "cat /etc/portal/site.conf")).stdout;
    expect(config).toContain("# revised after the rollback");
    expect(config).toContain(`listen ${address("tgt-1")}:80`);
    expect(config).not.toContain(address("portal-src"));
  });
});
