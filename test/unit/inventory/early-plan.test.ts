import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { earlyPlan } from "../../../src/inventory/early-plan.ts";
import { inventoryTargets, sameTargets } from "../../../src/inventory/targets.ts";
import { Plan } from "../../../src/plan/schema.ts";

const TEXT = `apiVersion: migrate/v1
kind: MigrationPlan
metadata: { name: early, owner: Finance }
sources:
  - { name: bastion, address: 10.0.0.9, user: root, auth: { agent: true }, hostKey: "SHA256:tJgEFudax3wxiZBfD4C+UA85IdoES5zeWOyU3Acnmvw" }
  - { name: src, address: 10.0.0.1, port: 2222, user: root, auth: { keyFile: ~/.ssh/k, passphraseEnv: K_PASS }, via: bastion }
tenants:
  - name: t
    cloud: c
    zone: egov-extranet
    maxClassification: 3
    arch: x86_64
    hosts:
      - { name: tgt, address: 10.0.1.1, user: root, auth: { agent: true } }
workloads:
  - &base
    name: a
    bureau: finance
    kind: generic
    classification: 2
    zone: egov-extranet
    wave: 1
    source: src
    target: tgt
    paths: [/srv/a, "/srv/with space"]
    services: [a.service]
    databases: [{ engine: postgresql, name: a, port: 5433 }, { engine: mariadb, name: b }]
  - <<: *base
    name: b
    paths: [/srv/b]
    databases: []
`;

describe("early plan reading", () => {
  it("asks exactly what the validated plan asks", () => {
    const early = earlyPlan(TEXT);
    expect(early).toBeDefined();
    const validated = inventoryTargets(Plan.parse(parse(TEXT, { merge: true })));
    expect(sameTargets(inventoryTargets(early!), validated)).toBe(true);
    expect(validated.find((t) => t.host.name === "src")?.inputs).toEqual({
      paths: ["/srv/a", "/srv/with space", "/srv/b"],
      postgresPorts: [5433],
      mysqlPorts: [3306],
      databasesIfPresent: false,
      scanPaths: ["/srv/a", "/srv/with space", "/srv/b"],
      services: ["a.service"],
    });
    // Targets receive the paths but are not scanned for portability.
    expect(validated.find((t) => t.host.name === "tgt")?.inputs.scanPaths).toBeUndefined();
  });

  it("notices any difference that changes connections or questions", () => {
    const base = inventoryTargets(earlyPlan(TEXT)!);
    const moved = inventoryTargets(earlyPlan(TEXT.replace("10.0.1.1", "10.0.1.2"))!);
    const morePaths = inventoryTargets(earlyPlan(TEXT.replace("[/srv/b]", "[/srv/b, /srv/c]"))!);
    expect(sameTargets(base, moved)).toBe(false);
    expect(sameTargets(base, morePaths)).toBe(false);
    const otherService = inventoryTargets(earlyPlan(TEXT.replace("[a.service]", "[b.service]"))!);
    expect(sameTargets(base, otherService)).toBe(false);
  });

  it("yields nothing for text that is not plainly well-formed", () => {
    expect(earlyPlan("sources: [")).toBeUndefined();
    expect(earlyPlan(TEXT.replace("port: 2222", 'port: "2222"'))).toBeUndefined();
    expect(
      earlyPlan(TEXT.replace("auth: { agent: true }", "auth: { agent: yes, keyFile: x }")),
    ).toBeUndefined();
    expect(earlyPlan("- a list")).toBeUndefined();
  });

  it("reads the fleet-style example plans in the repository", () => {
    const text = readFileSync(new URL("../../../plans/henan-finance.yaml", import.meta.url), "utf8");
    const early = earlyPlan(text);
    expect(early).toBeDefined();
    expect(
      sameTargets(inventoryTargets(early!), inventoryTargets(Plan.parse(parse(text, { merge: true })))),
    ).toBe(true);
  });
});
