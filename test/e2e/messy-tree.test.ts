/**
 * Messy fleet, the trees themselves (issue 11, items 2, 5, 11, 12, 13): a log written during the
 * bulk copy, a compromised source whose tar sends more than it was asked for, ACLs, xattrs and a
 * file capability, a target whose data directory is a symlink to a data disk, a workload path
 * that is a symlink, nested paths of two workloads on one target, and whole system trees.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { MESSY_PORTAL } from "../../fixtures/fleet/messy.ts";
import { exists, onlyWorkloads, said } from "./support/messy-fleet.ts";
import { apply, finished, journal, preparePlan, resetFleet, sh } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");

/** Permissions, owners and every extended attribute of the portal's messy files. */
const ATTRIBUTES = `cd /srv/portal && getfacl -p -n private/ledger.csv uploads 2>&1; getfattr -h -d -m - -e hex private/ledger.csv bin/ping-helper uploads 2>&1; getcap bin/ping-helper`;

describe.skipIf(skipReason !== "")("messy fleet: trees", () => {
  afterAll(resetFleet);

  // Each part of this file starts from a reset fleet: tests shuffled within the file must not
  // find another part's migrated target.
  describe("plans refused before anything changes", () => {
    beforeAll(resetFleet);

    it("item 2: two workloads with nested paths on one target are refused before anything changes", async () => {
      const { planFile, stateDir } = preparePlan((plan) => {
        onlyWorkloads(plan, ["portal"]);
        const portal = plan.workloads![0]!;
        plan.workloads!.push({
          ...portal,
          name: "portal-uploads",
          paths: ["/srv/portal/uploads"],
          rewrite: [],
          commands: [],
          services: [],
          verify: [],
          cutover: undefined,
        });
      });
      const result = await apply(planFile, stateDir);
      const text = said(result);
      expect(result.exitCode, text.slice(-2000)).toBe(1);
      expect(text).toMatch(
        /\/srv\/portal\/uploads.* overlaps "\/srv\/portal" of workload portal on target tgt-1/,
      );
      expect(await exists("tgt-1", "/srv/portal")).toBe(false);
    });

    it("item 12: /etc, /usr or /var as a whole workload path is refused", async () => {
      const { planFile, stateDir } = preparePlan((plan) => {
        onlyWorkloads(plan, ["portal"]);
        plan.workloads![0]!.paths = ["/srv/portal", "/etc"];
      });
      const result = await apply(planFile, stateDir);
      expect(result.exitCode).toBe(1);
      expect(said(result)).toMatch(/refusing to transfer the system tree "\/etc" whole/);
      expect(await exists("tgt-1", "/srv/portal")).toBe(false);
    });

    it("item 12: a workload path that is a symlink on the source is refused, naming where it points", async () => {
      await sh("portal-src", "ln -s /srv/portal /srv/portal-current");
      const { planFile, stateDir } = preparePlan((plan) => {
        onlyWorkloads(plan, ["portal"]);
        plan.workloads![0]!.paths = ["/srv/portal-current", "/etc/portal"];
      });
      const result = await apply(planFile, stateDir);
      const text = said(result);
      expect(result.exitCode, text.slice(-2000)).toBe(3);
      expect(text).toContain("/srv/portal-current -> /srv/portal");
      expect(await exists("tgt-1", "/srv/portal-current")).toBe(false);
    });
  });

  describe("a live log and a compromised source tar during the bulk copy", () => {
    let stateDir: string;
    let planFile: string;
    let bulk: Awaited<ReturnType<typeof apply>>;
    let rest: Awaited<ReturnType<typeof apply>>;
    const fakeTar = "/usr/local/bin/tar";
    const planted = "/etc/nginx/conf.d/planted.conf";

    beforeAll(async () => {
      await resetFleet();
      // A compromised source: its tar adds a member outside the paths it was asked for.
      await sh(
        "portal-src",
        `printf '# planted\\n' > ${planted}
cat > ${fakeTar} <<'TAR'
#!/bin/sh
case " $* " in
  *" -cpf - "*) { cat; printf '%s\\0' ${planted.slice(1)}; } | /usr/bin/tar "$@" ;;
  *) exec /usr/bin/tar "$@" ;;
esac
TAR
chmod 755 ${fakeTar}
systemctl start ${MESSY_PORTAL.writerUnit}`,
      );
      ({ planFile, stateDir } = preparePlan((plan) => onlyWorkloads(plan, ["portal"])));
      try {
        bulk = await apply(planFile, stateDir, [], { MIGRATE_FAIL_AFTER: "portal/transfer" });
      } finally {
        await sh("portal-src", `systemctl stop ${MESSY_PORTAL.writerUnit}`);
      }
      try {
        rest = await apply(planFile, stateDir);
      } finally {
        await sh("portal-src", `rm -f ${fakeTar}`);
      }
    });

    it("item 5: a file written during the bulk copy does not fail it; it travels with the final sync", async () => {
      const records = journal(stateDir);
      const outputs = finished(records, "portal/transfer");
      expect(outputs, said(bulk).slice(-2000)).toBeDefined();
      // Not even one failed attempt: a changing file is not a transfer error.
      const failed = records.filter((r) => r.type === "step-fail" && r.key === "portal/transfer");
      expect(failed.map((r) => JSON.stringify(r).slice(0, 300))).toEqual([]);
      expect(outputs?.changedDuringTransfer).toBeGreaterThanOrEqual(1);
      expect(rest.exitCode, said(rest).slice(-2000)).toBe(0);
      const sum = `sha256sum < ${MESSY_PORTAL.liveLog}`;
      expect((await sh("tgt-1", sum)).stdout).toBe((await sh("portal-src", sum)).stdout);
    });

    it("item 13: extraction on the target writes nothing outside the workload's paths", async () => {
      expect(await exists("portal-src", planted)).toBe(true);
      expect(await exists("tgt-1", planted)).toBe(false);
      expect(rest.exitCode).toBe(0);
    });
  });

  describe("ACLs, xattrs and capabilities onto a target whose data directory is a symlink", () => {
    let stateDir: string;
    let planFile: string;
    let moved: Awaited<ReturnType<typeof apply>>;
    let verified: Awaited<ReturnType<typeof apply>>;

    beforeAll(async () => {
      await resetFleet();
      // The target's /srv/portal was provisioned as a link to a data disk.
      await sh("tgt-1", "mkdir -p /srv/disk1/portal && ln -s /srv/disk1/portal /srv/portal");
      ({ planFile, stateDir } = preparePlan((plan) => onlyWorkloads(plan, ["portal"])));
      // Stopped before the cutover: the target is not live yet, so a change to it is drift the
      // cutover must repair, not a write of the live application (docs/cutover.md).
      moved = await apply(planFile, stateDir, [], { MIGRATE_FAIL_AFTER: "portal/reconfigure" });
      expect(finished(journal(stateDir), "portal/reconfigure"), said(moved).slice(-2000)).toBeDefined();
    });

    it("item 12: a target path that is a symlink to a data disk stays a link; the files land on the disk", async () => {
      expect((await sh("tgt-1", "readlink /srv/portal")).stdout.trim()).toBe("/srv/disk1/portal");
      expect(await exists("tgt-1", "/srv/disk1/portal/htdocs/index.html")).toBe(true);
    });

    it("item 11: ACLs, xattrs and the file capability arrive as on the source", async () => {
      const there = (await sh("tgt-1", ATTRIBUTES)).stdout;
      expect(there).toContain("user:33:r--");
      expect(there).toContain("default:user:33:rwx");
      expect(there).toContain("user.classification=0x696e7465726e616c");
      expect(there).toContain("cap_net_raw=ep");
      expect(there).toBe((await sh("portal-src", ATTRIBUTES)).stdout);
    });

    it("item 11: an ACL lost on the target before the cutover is seen by the final sync and sent again", async () => {
      await sh("tgt-1", `setfacl -b ${MESSY_PORTAL.acl}`);
      expect((await sh("tgt-1", ATTRIBUTES)).stdout).not.toContain("user:33:r--");
      verified = await apply(planFile, stateDir);
      expect(verified.exitCode, said(verified).slice(-2000)).toBe(0);
      // Only a comparison that sees ACLs sends the file again; the cutover's tree check, which
      // compares them too, then passes.
      expect((await sh("tgt-1", ATTRIBUTES)).stdout).toBe((await sh("portal-src", ATTRIBUTES)).stdout);
    });
  });
});
