import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { driftFindings } from "../../../src/inventory/drift.ts";
import type { HostInventory } from "../../../src/inventory/host-facts.ts";
import { locateFindings } from "../../../src/inventory/locate-findings.ts";
import { Plan } from "../../../src/plan/schema.ts";

const TEXT = `apiVersion: migrate/v1
kind: MigrationPlan
metadata: { name: drift, owner: Finance }
sources:
  - { name: src, address: 10.0.0.1, user: root, auth: { agent: true } }
tenants:
  - name: arm
    cloud: c
    zone: egov-extranet
    maxClassification: 3
    arch: aarch64
    hosts:
      - { name: tgt, address: 10.0.1.1, user: root, auth: { agent: true } }
workloads:
  - name: tax
    bureau: finance
    kind: tax-collection
    classification: 3
    zone: egov-extranet
    wave: 1
    source: src
    target: tgt
    paths:
      - /srv/tax
      - /etc/tax
    services: [tax.service]
    databases:
      - { engine: postgresql, name: tax_collection }
      - { engine: postgresql, name: gone }
`;
const plan = Plan.parse(parse(TEXT));

function host(facts: Partial<HostInventory>): HostInventory {
  return { role: "source", address: "x", port: 22, ok: true, durationMs: 1, ...facts };
}

const source = host({
  arch: "x86_64",
  paths: { "/srv/tax": { bytes: 3 * 1024 ** 3, files: 10 } },
  missingPaths: ["/etc/tax"],
  services: ["sshd.service"],
  servicesFrom: "systemd",
  databases: [
    {
      engine: "postgresql",
      port: 5432,
      running: true,
      version: "15.18",
      databases: [{ name: "tax_collection", bytes: 1024 ** 3 }],
    },
  ],
});
const target = host({
  role: "target",
  arch: "aarch64",
  filesystems: [
    { device: "/dev/vda", mount: "/", sizeBytes: 10 * 1024 ** 3, usedBytes: 0, freeBytes: 2 * 1024 ** 3 },
    {
      device: "/dev/vdb",
      mount: "/var/lib/postgresql",
      sizeBytes: 0,
      usedBytes: 0,
      freeBytes: 10 * 1024 ** 3,
    },
  ],
});

describe("drift against the plan", () => {
  it("reports every kind of drift at its plan node", () => {
    const findings = driftFindings(plan, { src: source, tgt: target });
    expect(findings.map((f) => [f.code, f.severity, f.path.join(".")])).toEqual([
      ["path-missing", "error", "workloads.0.paths.1"],
      ["service-not-running", "warning", "workloads.0.services.0"],
      ["database-missing", "error", "workloads.0.databases.1.name"],
      ["arch-mismatch", "error", "workloads.0.target"],
      ["target-space", "error", "workloads.0.target"],
    ]);
    expect(findings[3]?.message).toBe("tax is not portable: src runs x86_64 but tenant arm is aarch64");
    expect(findings[4]?.message).toBe("tgt has 2.00 GiB free on / but tax need 3.00 GiB");
  });

  it("counts data already on the target and lets portable workloads change architecture", () => {
    const portable = Plan.parse({
      ...parse(TEXT),
      workloads: [{ ...parse(TEXT).workloads[0], portable: true }],
    });
    const partlyThere = { ...target, paths: { "/srv/tax": { bytes: 2 * 1024 ** 3, files: 5 } } };
    const codes = driftFindings(portable, { src: source, tgt: partlyThere }).map((f) => f.code);
    expect(codes).not.toContain("arch-mismatch");
    expect(codes).not.toContain("target-space");
  });

  it("flags a tenant whose hosts run another architecture than declared", () => {
    const findings = driftFindings(plan, { src: source, tgt: { ...target, arch: "x86_64" } });
    expect(findings).toContainEqual(
      expect.objectContaining({ code: "arch-mismatch", path: ["tenants", 0, "arch"] }),
    );
  });

  it("reports a database server that does not answer, and nothing for unreachable hosts", () => {
    const down = {
      ...source,
      databases: [
        {
          engine: "postgresql" as const,
          port: 5432,
          running: false,
          databases: [],
          error: "connection refused",
        },
      ],
    };
    const findings = driftFindings(plan, { src: down, tgt: target });
    expect(findings.filter((f) => f.code === "database-missing").map((f) => f.message)).toEqual([
      "postgresql on port 5432 is not answering on src: connection refused",
      "postgresql on port 5432 is not answering on src: connection refused",
    ]);
    const unreachable = { ...source, ok: false, error: { kind: "unreachable", message: "refused" } };
    expect(driftFindings(plan, { src: unreachable, tgt: { ...target, ok: false } })).toEqual([]);
  });

  it("locates findings as FILE:LINE:COL in the plan text", () => {
    const diagnostics = locateFindings("plan.yaml", TEXT, driftFindings(plan, { src: source, tgt: target }));
    const byCode = Object.fromEntries(diagnostics.map((d) => [d.code, d]));
    expect(byCode["path-missing"]).toMatchObject({ line: 25, column: 9 });
    expect(byCode["service-not-running"]).toMatchObject({ line: 26, column: 16 });
    expect(byCode["database-missing"]).toMatchObject({ line: 29, column: 37 });
    expect(byCode["arch-mismatch"]).toMatchObject({ line: 22, column: 13 });
  });
});
