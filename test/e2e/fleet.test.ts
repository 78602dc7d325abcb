/**
 * The test fleet itself: every later e2e test trusts these properties, so they are checked on
 * the real hosts with the system OpenSSH client, curl-equivalent fetches and psql.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { parse } from "yaml";
import { type Fleet, hostExec, readFleet, resetSystems, sshRun } from "../../fixtures/fleet/index.ts";
import { Plan } from "../../src/plan/schema.ts";

const run = promisify(execFile);
const skipReason = inject("e2eSkipReason");

const ssh = sshRun;

async function get(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: await response.text() };
}

describe.skipIf(skipReason !== "")("test fleet", () => {
  let fleet: Fleet;
  const host = (name: string) => fleet.hosts.find((h) => h.name === name)!;

  beforeAll(async () => {
    fleet = readFleet();
    // The seeded state this file asserts (file counts, what the gateway serves), whatever ran before it.
    await resetSystems();
  });

  it("runs eight hosts, each a real sshd answering with its own host name", async () => {
    expect(fleet.hosts.map((h) => h.name).sort()).toEqual(
      ["bastion", "gw", "lic-src", "portal-src", "tax-src", "tgt-1", "tgt-2", "tgt-3"].sort(),
    );
    for (const h of fleet.hosts) {
      const result = await ssh(fleet, h.name, "hostname; cat /etc/hostname; echo $SSH_CONNECTION");
      expect(result.stderr).toBe("");
      const [name, file, connection] = result.stdout.trim().split("\n");
      expect(name).toBe(h.name);
      expect(file).toBe(h.name);
      // The server side of the connection is the host's own address (sources via the bastion).
      expect(connection?.split(" ")[2]).toBe(h.address);
    }
  });

  it("pins host keys: the served keys match fleet.json and the plan", async () => {
    const plan = parse(readFileSync(fleet.planFile, "utf8"));
    const planHosts = [...plan.sources, ...plan.tenants.flatMap((t: { hosts: unknown[] }) => t.hosts)] as {
      name: string;
      hostKey: string;
    }[];
    for (const h of fleet.hosts) {
      const { stdout: scanned } = await run("ssh-keyscan", ["-t", "ed25519", h.address], { timeout: 10_000 });
      const { stdout: printed } = await run("sh", [
        "-c",
        `printf '%s\\n' "$1" | ssh-keygen -lf -`,
        "sh",
        scanned,
      ]);
      expect(printed).toContain(h.hostKey.ed25519);
      expect(planHosts.find((p) => p.name === h.name)?.hostKey).toBe(h.hostKey.ed25519);
    }
  });

  it("refuses password and keyboard-interactive logins", async () => {
    const result = await ssh(fleet, "tgt-1", "true", [
      "-o",
      "PubkeyAuthentication=no",
      "-o",
      "PreferredAuthentications=password,keyboard-interactive",
      "-o",
      "LogLevel=INFO",
    ]);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/Permission denied \(publickey\)/);
  });

  it("protects the second client key with the recorded passphrase", async () => {
    const without = run("ssh-keygen", ["-y", "-P", "", "-f", fleet.client.passphraseKeyFile]);
    await expect(without).rejects.toThrow();
    const { stdout } = await run("ssh-keygen", [
      "-y",
      "-P",
      fleet.client.passphrase,
      "-f",
      fleet.client.passphraseKeyFile,
    ]);
    expect(stdout).toMatch(/^ssh-ed25519 /);
  });

  it("gives each host its own /srv and its own view of /etc", async () => {
    const srv = async (name: string) =>
      (await ssh(fleet, name, "ls -A /srv")).stdout.trim().split("\n").filter(Boolean);
    expect(await srv("portal-src")).toEqual(["portal"]);
    expect(await srv("tax-src")).toEqual(["tax"]);
    expect(await srv("lic-src")).toEqual(["licensing"]);
    for (const target of ["tgt-1", "tgt-2", "tgt-3"]) expect(await srv(target)).toEqual([]);
    const conf = await ssh(
      fleet,
      "lic-src",
      "cat /etc/licensing/app.conf; crontab -l 2>/dev/null || cat /var/spool/cron/crontabs/root",
    );
    expect(conf.stdout).toContain("tax-src.bureau.local");
    expect(conf.stdout).toContain("expire-licenses.sh");
    expect((await ssh(fleet, "tgt-3", "test -e /etc/licensing; echo $?")).stdout.trim()).toBe("1");
  });

  it("serves the portal, tax and licensing systems through the gateway", async () => {
    const portal = await get(`${fleet.gateway.url}/portal/`);
    expect(portal.status).toBe(200);
    expect(portal.body).toContain("市政务服务网");
    const chinese = await get(`${fleet.gateway.url}/portal/${encodeURI("政务公开/通知公告.html")}`);
    expect(chinese.status).toBe(200);
    expect(chinese.body).toContain("通知公告");
    for (const system of ["portal", "tax", "licensing"]) {
      const health = await get(`${fleet.gateway.url}/${system}/health`);
      expect(health.status, system).toBe(200);
      expect(health.body, system).toContain("ok");
    }
    const upstream = await hostExec("gw", "cat /etc/nginx/conf.d/portal.upstream");
    expect(upstream.stdout.trim()).toBe(`upstream portal { server ${host("portal-src").address}:80; }`);
  });

  it("seeds the portal with the recorded number of files, some with Chinese names and spaces", async () => {
    const { stdout } = await hostExec(
      "portal-src",
      "find /srv/portal/htdocs -type f | wc -l; du -sb --apparent-size /srv/portal/htdocs",
    );
    const [count] = stdout.trim().split("\n");
    expect(Number(count)).toBe(fleet.seed.portal.files);
    expect(fleet.seed.portal.files).toBeGreaterThanOrEqual(300);
    const names = await hostExec("portal-src", "ls /srv/portal/htdocs/办事指南");
    expect(names.stdout).toContain("营业执照 办理指南.html");
  });

  it("seeds the tax database with at least 100k rows in a relational schema", async () => {
    const tables = Object.keys(fleet.seed.tax.tables);
    const sql = tables.map((t) => `select '${t}', count(*) from ${t}`).join(" union all ");
    const result = await ssh(
      fleet,
      "tax-src",
      `psql -X -At -F ' ' -U postgres -d tax_collection -c "${sql}"`,
    );
    expect(result.code, result.stderr).toBe(0);
    const counts = Object.fromEntries(
      result.stdout
        .trim()
        .split("\n")
        .map((line) => line.split(" ")),
    );
    let total = 0;
    for (const table of tables) {
      expect(Number(counts[table]), table).toBe(fleet.seed.tax.tables[table]);
      total += Number(counts[table]);
    }
    expect(total).toBeGreaterThanOrEqual(100_000);
    // The target's cluster is up and empty.
    const target = await ssh(
      fleet,
      "tgt-2",
      "psql -X -At -U postgres -d postgres -c 'select count(*) from pg_database where not datistemplate'",
    );
    expect(target.stdout.trim()).toBe("1");
  });

  it("writes a plan that satisfies the plan schema and `migrate validate`", async () => {
    const parsed = Plan.safeParse(parse(readFileSync(fleet.planFile, "utf8")));
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    expect(parsed.data?.workloads.map((w) => w.name)).toEqual(["portal", "tax-collection", "licensing"]);
    expect(parsed.data?.sources.filter((s) => s.via === "bastion").map((s) => s.name)).toEqual([
      "portal-src",
      "tax-src",
      "lic-src",
    ]);
    const { stdout } = await run("./bin/migrate", ["validate", fleet.planFile], { timeout: 60_000 });
    expect(stdout).toContain("valid");
  });
});
