/**
 * The portability scan on the real fleet, through the CLI: what `migrate inventory` finds on each
 * source (checked against the hosts themselves), the CPU rule against a plan variant whose tenant
 * runs another CPU, and the domestic-CPU readiness table in `plan` and the sign-off report.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parseDocument } from "yaml";
import { type Fleet, hostExec, readFleet } from "../../fixtures/fleet/index.ts";
import type { InventoryReport } from "../../src/inventory/run-inventory.ts";
import { normalizeArch } from "../../src/plan/inventory-facts.ts";
import { runCli } from "./apply-support.ts";

const skipReason = inject("e2eSkipReason");

describe.skipIf(skipReason !== "")("portability scan on the fleet", () => {
  let fleet: Fleet;
  let work: string;
  let report: InventoryReport;
  let inventoryFile: string;
  /** The fleet's CPU, and another one for the variant tenant. */
  let arch: string;
  let other: string;

  beforeAll(async () => {
    fleet = readFleet();
    arch = normalizeArch(fleet.arch);
    other = arch === "aarch64" ? "x86_64" : "aarch64";
    work = await mkdtemp(join(tmpdir(), "migrate-e2e-portability-"));
    inventoryFile = join(work, "inventory.json");
    const result = await runCli(["inventory", fleet.planFile, "--json", "--out", inventoryFile]);
    expect(result.stderr).not.toMatch(/error/);
    expect(result.exitCode).toBe(0);
    report = JSON.parse(result.stdout) as InventoryReport;
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("finds the portal static, the tax helper binary and the licensing JAR's native library", async () => {
    const { portal, licensing } = {
      portal: report.workloads.portal!,
      licensing: report.workloads.licensing!,
    };
    const tax = report.workloads["tax-collection"]!;
    expect(portal).toMatchObject({ source: "portal-src", nativeCount: 0, native: [], truncated: false });

    const machine = normalizeArch((await hostExec("tax-src", "uname -m")).stdout.trim());
    expect(machine).toBe(arch);
    expect(tax.native).toEqual([
      { path: "/srv/tax/bin/ledgerd", kind: "executable", machine, from: "header" },
    ]);
    // The shell script and the binary are the tax tree's only executables.
    expect(tax.candidates).toBe(2);

    expect(licensing.native).toContainEqual({
      path: "/srv/licensing/lib/seal-verify.jar",
      kind: "archive-entry",
      entry: `native/linux-${fleet.arch}/libsealverify.so`,
      machine,
      from: "header",
    });
    expect(licensing.native).toContainEqual(
      expect.objectContaining({ entry: "native/windows-x86_64/sealverify.dll", machine: "windows" }),
    );
    expect(licensing.machines).toEqual({ [machine]: 1, windows: 1 });

    // The human view lists the same per workload.
    const table = await runCli(["inventory", fleet.planFile, "--output", "plain"]);
    expect(table.stdout).toContain("CPU-specific content (portability scan):");
    expect(table.stdout).toContain(
      `  tax-collection on tax-src: 1 ${machine}: /srv/tax/bin/ledgerd (${machine}); runtimes: python `,
    );
    expect(table.stdout).toContain("  portal on portal-src: nothing native\n");
  });

  it("names the runtime each service starts, with the version the host reports", async () => {
    const version = (await hostExec("tax-src", "python3 --version")).stdout.trim().split(" ")[1];
    for (const [name, service] of [
      ["tax-collection", "tax.service"],
      ["licensing", "licensing.service"],
    ] as const) {
      expect(report.workloads[name]!.runtimes).toEqual([
        { service, name: "python", executable: "/usr/bin/python3", version, machine: arch },
      ]);
    }
    expect(report.workloads.portal!.runtimes).toEqual([]);
  });

  it("reports the declared portability against a tenant on another CPU, with the first step", async () => {
    const doc = parseDocument(await readFile(fleet.planFile, "utf8"));
    doc.setIn(["tenants", 0, "arch"], other);
    const variant = join(work, "other-cpu.yaml");
    await writeFile(variant, String(doc));
    const lines = String(doc).split("\n");

    // Without --inventory nothing changes: the declared non-portable tax system, nothing else.
    const declared = await runCli(["validate", variant]);
    expect(declared.exitCode).toBe(1);
    expect(declared.stdout).toContain("(assumed: no inventory given)");
    expect(declared.stdout).not.toContain("declared portable");

    const measured = await runCli(["validate", variant, "--inventory", inventoryFile]);
    expect(measured.exitCode).toBe(1);
    const errors = measured.stdout.split("\n").filter((l) => l.includes(": error: "));
    expect(errors).toHaveLength(2);
    const [tax, lic] = errors;
    expect(tax).toContain(
      `workload "tax-collection" is not portable but moves from ${arch} (from inventory)`,
    );
    expect(tax).toContain(`hint: first step: rebuild /srv/tax/bin/ledgerd for ${other}`);
    expect(lic).toContain(
      `workload "licensing" is declared portable but carries ${arch} native code that will not run on ${other} tenant`,
    );
    expect(lic).toContain(
      `/srv/licensing/lib/seal-verify.jar!/native/linux-${fleet.arch}/libsealverify.so (${arch})`,
    );
    const at = Number(/:(\d+):\d+: error: workload "licensing"/.exec(lic!)?.[1]);
    expect(lines[at - 1]).toMatch(/portable: true/);

    // Inventory against the variant reports the same drift, located in the plan.
    const drift = await runCli(["inventory", variant, "--json"]);
    expect(drift.exitCode).toBe(1);
    const codes = (JSON.parse(drift.stdout) as InventoryReport).diagnostics.map((d) => [
      d.code,
      d.path.join("."),
    ]);
    expect(codes).toContainEqual(["portable-native", "workloads.2.portable"]);
    expect(codes).toContainEqual(["arch-mismatch", "workloads.1.target"]);
    expect(codes.filter(([code]) => code === "portable-native")).toHaveLength(1);
  });

  it("shows the domestic-CPU readiness table in plan and in the sign-off report", async () => {
    const plan = await runCli(["plan", fleet.planFile, "--inventory", inventoryFile, "--state-dir", work]);
    expect(plan.exitCode).toBe(0);
    // The fleet's tenant has the fleet's CPU; on x86_64 readiness is measured for aarch64.
    expect(plan.stdout).toContain("Domestic-CPU readiness");
    expect(plan.stdout).toMatch(/portal\s+aarch64\s+portable as is/);
    const python = report.workloads.licensing!.runtimes[0]!.version;

    const md = await runCli([
      "report",
      fleet.planFile,
      "--inventory",
      inventoryFile,
      "--state-dir",
      work,
      "--format",
      "md",
    ]);
    expect(md.exitCode).toBe(0);
    const rows = md.stdout.split("\n").filter((l) => l.startsWith("| "));
    if (arch === "x86_64") {
      expect(rows).toContain(
        `| finance | tax-collection | aarch64 | rebuild native components | /srv/tax/bin/ledgerd (x86_64) | python ${python} |`,
      );
      expect(rows).toContain(
        "| market-regulation | licensing | aarch64 | rebuild native components | /srv/licensing/lib/seal-verify.jar!/native/linux-x86_64/libsealverify.so (x86_64) | " +
          `python ${python} |`,
      );
      expect(rows).toContain(`| finance | 1 | 0 | 1 | python ${python} for aarch64 |`);
    }
    expect(rows).toContain("| city-office | portal | aarch64 | portable as is | - | - |");
    expect(rows).toContain("| city-office | 1 | 1 | 0 | - |");

    const html = await runCli([
      "report",
      fleet.planFile,
      "--inventory",
      inventoryFile,
      "--state-dir",
      work,
      "--format",
      "html",
    ]);
    expect(html.exitCode).toBe(0);
    expect(html.stdout).toContain("<h2>Domestic-CPU readiness (measured by inventory)</h2>");
    expect(html.stdout).toMatch(/<td>portal<\/td><td>aarch64<\/td><td class="ok">portable as is<\/td>/);

    // Without an inventory the report has no readiness section.
    const plain = await runCli(["report", fleet.planFile, "--state-dir", work]);
    expect(plain.stdout).not.toContain("Domestic-CPU readiness");
  });
});
