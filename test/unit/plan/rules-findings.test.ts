/**
 * Each plan rule's finding as `validate --json` reports it: the stable `code`, the severity, the
 * path of the entry to fix, and the hint, for the mistakes an author makes.
 */
import { describe, expect, it } from "vitest";
import { analyzePlanText } from "../../../src/plan/analyze.ts";
import { FIXTURE_NOW, planText, workload } from "./plan-fixture.ts";

function findings(workloads: string) {
  return analyzePlanText("plan.yaml", planText({ workloads }), { now: FIXTURE_NOW }).diagnostics.map((d) => ({
    severity: d.severity,
    code: d.code,
    path: d.path,
    message: d.message,
    hint: d.hint,
  }));
}

describe("policy", () => {
  it("refuses level 5 outright, with the reason and what to do", () => {
    expect(findings(workload("secret").replace("classification: 2", "classification: 5"))).toEqual([
      {
        severity: "error",
        code: "classified",
        path: ["workloads", 0, "classification"],
        message:
          'workload "secret" is classification level 5 (classified): migrate refuses to move classified systems',
        hint: "classified systems stay on their separated network; remove this workload from the plan",
      },
    ]);
  });

  it("refuses a tenant accredited below the workload's level, and accepts one at that level", () => {
    expect(findings(workload("app").replace("classification: 2", "classification: 4"))).toEqual([
      {
        severity: "error",
        code: "classification",
        path: ["workloads", 0, "classification"],
        message: 'workload "app" is MLPS level 4 but tenant "ext" is accredited only up to level 3',
        hint: "choose a target in a tenant with maxClassification >= 4",
      },
    ]);
    expect(findings(workload("app").replace("classification: 2", "classification: 3"))).toEqual([]);
  });

  it("refuses a less protected zone, and accepts the same or a more protected one", () => {
    expect(findings(workload("app").replace("zone: egov-extranet", "zone: egov-intranet"))).toEqual([
      {
        severity: "error",
        code: "zone",
        path: ["workloads", 0, "zone"],
        message:
          'workload "app" belongs in zone egov-intranet but tenant "ext" is in the less protected zone egov-extranet (internet < egov-extranet < egov-intranet)',
        hint: "choose a target in a tenant whose zone is egov-intranet or more protected",
      },
    ]);
    expect(findings(workload("app").replace("zone: egov-extranet", "zone: internet"))).toEqual([]);
  });

  it("refuses a non-portable workload onto another architecture, at its target; a portable one passes", () => {
    const arm = workload("app").replace("target: tgt-01", "target: arm-01");
    expect(findings(arm).map((f) => [f.severity, f.code, f.path])).toEqual([
      ["error", "arch", ["workloads", 0, "target"]],
    ]);
    expect(findings(arm.replace("    wave: 1\n", "    wave: 1\n    portable: true\n"))).toEqual([]);
  });
});

describe("dependencies", () => {
  it("a workload depending on itself is a cycle, at the entry", () => {
    expect(findings(workload("app", "    dependsOn: [app]\n"))).toEqual([
      {
        severity: "error",
        code: "cycle",
        path: ["workloads", 0, "dependsOn", 0],
        message: 'workload "app" depends on itself',
        hint: undefined,
      },
    ]);
  });

  it("reports a longer cycle once, as a path, at its first edge", () => {
    const text =
      workload("a", "    dependsOn: [b]\n") +
      workload("b", "    dependsOn: [x, c]\n") +
      workload("c", "    dependsOn: [a]\n") +
      workload("x");
    const cycles = findings(text).filter((f) => f.code === "cycle");
    expect(cycles).toHaveLength(1);
    expect(cycles[0]!.message).toMatch(
      /^dependency cycle: (a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c)$/,
    );
    const first = cycles[0]!.message.split(": ")[1]!.split(" -> ");
    const index = ["a", "b", "c"].indexOf(first[0]!);
    expect(cycles[0]!.path).toEqual(["workloads", index, "dependsOn", first[0] === "b" ? 1 : 0]);
  });

  it("refuses a dependency on a later wave, saying which way to move", () => {
    const text = workload("app", "    dependsOn: [db]\n", 1) + workload("db", "", 2);
    expect(findings(text).filter((f) => f.severity === "error")).toEqual([
      {
        severity: "error",
        code: "later-wave",
        path: ["workloads", 0, "dependsOn", 0],
        message: '"app" (wave 1) depends on "db", which is in the later wave 2',
        hint: 'move "db" to wave 1 or earlier, or "app" to wave 2 or later',
      },
    ]);
    expect(findings(workload("db", "", 1) + workload("app", "    dependsOn: [db]\n", 2))).toEqual([]);
    expect(findings(workload("db") + workload("app", "    dependsOn: [db]\n"))).toEqual([]);
  });
});

describe("names that reach SQL or nsupdate", () => {
  it("accepts plain and schema-qualified table names, refuses anything else at the table", () => {
    const check = (tables: string) =>
      workload(
        "db",
        `    databases: [{ engine: postgresql, name: revenue }]\n    verify:\n      - rowCount: { database: revenue, tables: ${tables} }\n`,
      ).replace("    verify:\n      - tcp: { host: tgt-01, port: 22 }\n", "");
    expect(findings(check('[receipts, "public.fees", "_t$1"]'))).toEqual([]);
    expect(
      findings(check('[ok, "fees; drop table x", "a.b.c", "1abc"]')).map((f) => [f.code, f.path]),
    ).toEqual([
      ["unsafe-name", ["workloads", 0, "verify", 0, "rowCount", "tables", 1]],
      ["unsafe-name", ["workloads", 0, "verify", 0, "rowCount", "tables", 2]],
      ["unsafe-name", ["workloads", 0, "verify", 0, "rowCount", "tables", 3]],
    ]);
    expect(findings(check('["a b"]'))[0]!.message).toBe(
      'table "a b" is not a plain table name (letters, digits, _ and $, optionally schema.table)',
    );
  });

  it("refuses a DNS zone or record that is not a DNS name", () => {
    const dns = (zone: string, record: string) =>
      workload(
        "app",
        `    services: [nginx.service]\n    cutover: { strategy: dns, server: 10.9.0.53, zone: "${zone}", record: "${record}" }\n`,
      );
    expect(findings(dns("city.gov.cn.", "portal.city.gov.cn"))).toEqual([]);
    expect(findings(dns("city gov", "portal;rm")).map((f) => [f.code, f.message, f.path])).toEqual([
      ["unsafe-name", 'zone "city gov" is not a DNS name', ["workloads", 0, "cutover", "zone"]],
      ["unsafe-name", 'record "portal;rm" is not a DNS name', ["workloads", 0, "cutover", "record"]],
    ]);
  });
});
