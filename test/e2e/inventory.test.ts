/**
 * `migrate inventory` on the real fleet, through the CLI: facts compared with what the fleet
 * seeded and with the hosts themselves, an unreachable host among reachable ones, drift located
 * in the plan, and the JSON fed back to `validate` and `plan --inventory`.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parseDocument } from "yaml";
import { type Fleet, hostExec, readFleet, resetSystems } from "../../fixtures/fleet/index.ts";
import type { InventoryReport } from "../../src/inventory/run-inventory.ts";

const skipReason = inject("e2eSkipReason");
const root = new URL("../..", import.meta.url).pathname;

interface Cli {
  code: number;
  stdout: string;
  stderr: string;
}

function migrate(args: string[]): Promise<Cli> {
  return new Promise((resolve) => {
    execFile(
      "./bin/migrate",
      args,
      { cwd: root, maxBuffer: 64 * 1024 * 1024, timeout: 180_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 255) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe.skipIf(skipReason !== "")("migrate inventory on the fleet", () => {
  let fleet: Fleet;
  let work: string;
  let planText: string;

  /** A copy of the fleet plan with `edit` applied to its YAML document (anchors kept). */
  async function planCopy(
    name: string,
    edit: (doc: ReturnType<typeof parseDocument>) => void,
  ): Promise<string> {
    const doc = parseDocument(planText);
    edit(doc);
    const file = join(work, name);
    await writeFile(file, String(doc));
    return file;
  }

  beforeAll(async () => {
    fleet = readFleet();
    // The seeded state this file asserts (file counts, services), whatever ran before it.
    await resetSystems();
    work = await mkdtemp(join(tmpdir(), "migrate-e2e-inventory-"));
    planText = await readFile(fleet.planFile, "utf8");
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("collects every host's facts, matching the fleet's seed and the hosts themselves", async () => {
    const portal = fleet.seed.portal;
    const plan = await planCopy("seeded.yaml", (doc) => {
      // Also measure the seeded site root, whose file count and size the fleet recorded.
      doc.addIn(["workloads", 0, "paths"], portal.root);
    });
    const out = join(work, "inventory.json");
    const result = await migrate(["inventory", plan, "--json", "--out", out]);
    const report = JSON.parse(result.stdout) as InventoryReport;
    expect(JSON.parse(await readFile(out, "utf8"))).toEqual(report);
    expect(report.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(result.code).toBe(0);
    expect(Object.keys(report.hosts).sort()).toEqual(fleet.hosts.map((h) => h.name).sort());

    for (const h of fleet.hosts) {
      const facts = report.hosts[h.name]!;
      const truth = await hostExec(h.name, "uname -r; nproc; uname -n");
      const [kernelRelease, cpus, hostname] = truth.stdout.trim().split("\n");
      expect(facts).toMatchObject({
        ok: true,
        arch: fleet.arch,
        kernelRelease,
        cpus: Number(cpus),
        hostname,
      });
      expect(facts.os?.id).toBe("debian");
      expect(facts.filesystems?.some((fs) => fs.mount === "/")).toBe(true);
    }
    // The seeded site, as the fleet recorded it and as the host holds it now (other suites'
    // apply runs may touch a source's files between the seed and this test).
    const measured = await hostExec(
      portal.host,
      `find ${portal.root} ! -type d -printf '%s\\n' | awk '{n++; s+=$1} END {print n, s}'`,
    );
    const [files, bytes] = measured.stdout.trim().split(" ").map(Number);
    expect(report.hosts[portal.host]!.paths?.[portal.root]).toEqual({ files, bytes });
    expect(files).toBe(portal.files);

    const tax = report.hosts[fleet.seed.tax.host]!;
    const postgres = tax.databases?.find((s) => s.engine === "postgresql");
    expect(postgres).toMatchObject({ running: true, port: fleet.postgres.port });
    expect(postgres?.version).toMatch(new RegExp(`^${fleet.postgres.version}\\.`));
    const taxDb = postgres?.databases.find((db) => db.name === fleet.seed.tax.database);
    const size = await hostExec(
      fleet.seed.tax.host,
      `runuser -u postgres -- psql -XAtc "select pg_database_size('${fleet.seed.tax.database}')"`,
    );
    // The database is live (autovacuum), so allow a little movement between the two readings.
    expect(Math.abs(taxDb!.bytes - Number(size.stdout.trim()))).toBeLessThan(2 * 1024 * 1024);
    expect(tax.listening).toContainEqual(
      expect.objectContaining({
        address: fleet.hosts.find((h) => h.name === "tax-src")!.address,
        port: 5432,
      }),
    );

    const lic = report.hosts[fleet.seed.licensing.host]!;
    const jobs = lic.crontabs?.filter((c) => c.file === fleet.seed.licensing.crontab) ?? [];
    expect(jobs.map((j) => j.command).join("\n")).toContain("expire-licenses.sh");
    expect(report.hosts[fleet.gateway.host]!.services).toContain("nginx.service");
  });

  it("reports an unreachable host with its reason while the others finish, exit 4", async () => {
    const plan = await planCopy("ghost.yaml", (doc) => {
      doc.addIn(["sources"], {
        name: "ghost",
        address: "127.0.14.9",
        port: 22,
        user: "root",
        auth: { keyFile: fleet.client.keyFile },
        hostKey: fleet.hosts[0]!.hostKey.ed25519,
      });
    });
    const json = await migrate(["inventory", plan, "--json"]);
    expect(json.code).toBe(4);
    const report = JSON.parse(json.stdout) as InventoryReport;
    expect(report.hosts.ghost).toMatchObject({ ok: false, error: { kind: "unreachable" } });
    expect(report.hosts.ghost!.error!.message).toContain("ECONNREFUSED");
    for (const h of fleet.hosts) expect(report.hosts[h.name]!.ok).toBe(true);
    const table = await migrate(["inventory", plan]);
    expect(table.code).toBe(4);
    expect(table.stdout).toMatch(
      /1 of 9 hosts failed:\n {2}ghost: ghost \(127\.0\.14\.9:22\) is unreachable: ECONNREFUSED/,
    );
  });

  it("locates drift in the plan and exits 1", async () => {
    const plan = await planCopy("drift.yaml", (doc) => {
      doc.addIn(["workloads", 1, "paths"], "/srv/tax-archive");
      doc.addIn(["workloads", 1, "databases"], { engine: "postgresql", name: "tax_archive", port: 5432 });
    });
    const result = await migrate(["inventory", plan]);
    expect(result.code).toBe(1);
    const lines = (await readFile(plan, "utf8")).split("\n");
    const pathLine = lines.findIndex((line) => line.includes("/srv/tax-archive")) + 1;
    const pathColumn = lines[pathLine - 1]!.indexOf("/srv/tax-archive") + 1;
    expect(result.stdout).toContain(
      `${plan}:${pathLine}:${pathColumn}: error: declared path /srv/tax-archive does not exist on tax-src`,
    );
    const dbLine = lines.findIndex((line) => line.includes("tax_archive")) + 1;
    expect(result.stdout).toMatch(
      new RegExp(`${plan}:${dbLine}:\\d+: error: database tax_archive does not exist on tax-src`),
    );
  });

  it("feeds validate and plan: a non-portable workload on another architecture is caught", async () => {
    const out = join(work, "facts.json");
    expect((await migrate(["inventory", fleet.planFile, "--out", out])).code).toBe(0);
    expect((await migrate(["validate", fleet.planFile, "--inventory", out])).code).toBe(0);
    expect((await migrate(["plan", fleet.planFile, "--inventory", out])).code).toBe(0);
    const arm = await planCopy("arm.yaml", (doc) => doc.setIn(["tenants", 0, "arch"], "aarch64"));
    const validate = await migrate(["validate", arm, "--inventory", out]);
    expect(validate.code).toBe(1);
    expect(validate.stdout).toContain("tax-collection");
    const drift = await migrate(["inventory", arm]);
    expect(drift.code).toBe(1);
    expect(drift.stdout).toContain(
      "tax-collection is not portable: tax-src runs x86_64 but tenant city-egov is aarch64",
    );
  });
});
