/**
 * The fleet's fault and reset machinery, which apply and resume tests lean on: services run by
 * the systemctl shim, frozen and powered-off hosts, and resets back to the seeded state.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  type Fleet,
  fleetProcesses,
  freezeHost,
  hostExec,
  readFleet,
  resetSystems,
  sshRun as ssh,
  startHost,
  stopHost,
  thawHost,
  waitForSystems,
} from "../../fixtures/fleet/index.ts";

const skipReason = inject("e2eSkipReason");

async function get(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: await response.text() };
}

describe.skipIf(skipReason !== "")("test fleet faults and resets", () => {
  let fleet: Fleet;
  const host = (name: string) => fleet.hosts.find((h) => h.name === name)!;

  beforeAll(() => {
    fleet = readFleet();
  });

  afterAll(async () => {
    await resetSystems();
  });

  it("runs services through the systemctl shim: stopping licensing takes it off the gateway", async () => {
    expect((await ssh(fleet, "lic-src", "systemctl is-active licensing")).stdout.trim()).toBe("active");
    expect(
      (
        await ssh(fleet, "lic-src", "systemctl stop licensing.service; systemctl is-active licensing")
      ).stdout.trim(),
    ).toBe("inactive");
    expect((await get(`${fleet.gateway.url}/licensing/health`)).status).toBe(502);
    expect(
      (
        await ssh(fleet, "lic-src", "systemctl start licensing && systemctl is-active licensing")
      ).stdout.trim(),
    ).toBe("active");
    // Type=simple: running before listening, as with systemd; wait for it to serve.
    await waitForSystems(fleet, 30_000);
  });

  it("tracks every process it started by namespace, daemons included", async () => {
    const processes = fleetProcesses();
    expect([...processes.keys()].sort()).toEqual(fleet.hosts.map((h) => h.name).sort());
    // A short-lived process (a health check's query) may end between the listing and this read.
    const comm = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      } catch {
        return "(ended)";
      }
    };
    expect(processes.get("tax-src")!.map(comm)).toEqual(
      expect.arrayContaining(["sshd", "postgres", "python3"]),
    );
    expect(processes.get("gw")!.map(comm)).toEqual(expect.arrayContaining(["sshd", "nginx"]));
  });

  it("freezes a host so it stops answering, and thaws it", async () => {
    freezeHost("tgt-3");
    try {
      const frozen = await ssh(fleet, "tgt-3", "true", ["-o", "ConnectTimeout=2"]);
      expect(frozen.code).toBe(255);
    } finally {
      thawHost("tgt-3");
    }
    expect((await ssh(fleet, "tgt-3", "hostname")).stdout.trim()).toBe("tgt-3");
  });

  it("resets systems to the seeded state", async () => {
    await hostExec(
      "portal-src",
      "echo defaced > /srv/portal/htdocs/index.html && rm -rf '/srv/portal/htdocs/政务公开'",
    );
    await hostExec(
      "gw",
      `echo 'upstream portal { server ${host("tgt-1").address}:80; }' > /etc/nginx/conf.d/portal.upstream`,
    );
    await hostExec(
      "tgt-2",
      "mkdir -p /srv/tax && psql -X -q -U postgres -c 'create database tax_collection'",
    );
    await hostExec(
      "tax-src",
      "systemctl stop tax; psql -X -q -U postgres -d tax_collection -c 'delete from receipts'",
    );
    await resetSystems();
    expect((await get(`${fleet.gateway.url}/portal/`)).body).toContain("市政务服务网");
    expect((await hostExec("gw", "cat /etc/nginx/conf.d/portal.upstream")).stdout).toContain(
      host("portal-src").address,
    );
    expect((await hostExec("tgt-2", "ls -A /srv")).stdout.trim()).toBe("");
    expect(
      (
        await hostExec(
          "tgt-2",
          "psql -X -At -U postgres -c \"select count(*) from pg_database where datname = 'tax_collection'\"",
        )
      ).stdout.trim(),
    ).toBe("0");
    const receipts = await hostExec(
      "tax-src",
      "psql -X -At -U postgres -d tax_collection -c 'select count(*) from receipts'",
    );
    expect(Number(receipts.stdout)).toBe(fleet.seed.tax.tables.receipts);
    expect((await get(`${fleet.gateway.url}/tax/health`)).body).toContain("ok");
  });

  it("powers a host off and boots it again from its kept state", async () => {
    await hostExec("tgt-1", "echo kept > /srv/marker");
    await stopHost("tgt-1");
    expect(fleetProcesses().has("tgt-1")).toBe(false);
    expect((await ssh(fleet, "tgt-1", "true", ["-o", "ConnectTimeout=2"])).code).toBe(255);
    const restarted = await startHost("tgt-1");
    expect(restarted.pid).not.toBe(host("tgt-1").pid);
    expect((await ssh(fleet, "tgt-1", "cat /srv/marker; systemctl is-active nginx")).stdout).toBe(
      "kept\nactive\n",
    );
    fleet = readFleet();
  });

  it("rebuilds a host that a fast reset cannot repair", async () => {
    // A destroyed database cluster: PostgreSQL cannot start, so the template restore fails.
    await hostExec("tax-src", "systemctl stop postgresql && rm -rf /var/lib/postgresql/*/main/base");
    const { rebuilt } = await resetSystems();
    expect(rebuilt.map((r) => r.host)).toEqual(["tax-src"]);
    fleet = readFleet();
    const rows = await hostExec(
      "tax-src",
      "psql -X -At -U postgres -d tax_collection -c 'select count(*) from payments'",
    );
    expect(Number(rows.stdout)).toBe(fleet.seed.tax.tables.payments);
    expect((await get(`${fleet.gateway.url}/tax/health`)).body).toContain("ok");
    // Host keys survive a rebuild: the pinned fingerprint still matches.
    expect((await ssh(fleet, "tax-src", "hostname")).stdout.trim()).toBe("tax-src");
  });
});
