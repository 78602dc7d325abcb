import { describe, expect, it } from "vitest";
import { analyzePlanText } from "../../../src/plan/analyze.ts";
import { FIXTURE_NOW, planText, workload } from "./plan-fixture.ts";

const errors = (text: string) =>
  analyzePlanText("plan.yaml", text, { now: FIXTURE_NOW }).diagnostics.filter((d) => d.severity === "error");

describe("copy-safety plan rules", () => {
  it("refuses nested paths of two workloads on one target, at the later path, with a hint", () => {
    const inner = workload("inner").replace("paths: [/srv/inner]", "paths: [/srv/outer/inner]");
    const found = errors(planText({ workloads: `${inner}${workload("outer")}` }));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      code: "overlapping-paths",
      path: ["workloads", 1, "paths", 0],
      message:
        'path "/srv/outer" of workload outer overlaps "/srv/outer/inner" of workload inner on target tgt-01',
    });
    expect(found[0]?.hint).toMatch(/final sync deletes/);
  });

  it("reads a path written with a trailing slash as the same directory, named without it", () => {
    const outer = workload("outer").replace("paths: [/srv/outer]", "paths: [/srv/outer/]");
    const inner = workload("inner").replace("paths: [/srv/inner]", "paths: [/srv/outer/inner/]");
    const found = errors(planText({ workloads: `${outer}${inner}` }));
    expect(found.map((d) => [d.code, d.path, d.message])).toEqual([
      [
        "overlapping-paths",
        ["workloads", 1, "paths", 0],
        'path "/srv/outer/inner/" of workload inner overlaps "/srv/outer" of workload outer on target tgt-01',
      ],
    ]);
  });

  it("allows nested paths within one workload", () => {
    const one = workload("app").replace("paths: [/srv/app]", "paths: [/srv/app, /srv/app/htdocs]");
    expect(errors(planText({ workloads: one }))).toEqual([]);
  });

  it("allows nested paths on different targets and sibling paths on one target", () => {
    const other = workload("inner")
      .replace("paths: [/srv/inner]", "paths: [/srv/outer/inner]")
      .replace("target: tgt-01", "target: arm-01")
      .replace("zone: egov-extranet", "zone: egov-intranet")
      .replace("tcp: { host: tgt-01", "tcp: { host: arm-01");
    const sibling = workload("outer-2").replace("paths: [/srv/outer-2]", "paths: [/srv/outer2]");
    const found = errors(planText({ workloads: `${other}${workload("outer")}${sibling}` }));
    expect(found.filter((d) => d.code === "overlapping-paths")).toEqual([]);
  });

  it.each(["/etc", "/usr/", "/var"])("refuses the system tree %s as a whole path", (path) => {
    const found = errors(
      planText({ workloads: workload("app").replace("paths: [/srv/app]", `paths: [${path}]`) }),
    );
    expect(found.map((d) => d.message)).toContainEqual(
      expect.stringContaining("refusing to transfer the system tree"),
    );
  });

  it("accepts become: sudo on a host and nothing else", () => {
    const sources = (become: string) =>
      `  - { name: src-01, address: 10.9.0.11, user: deploy, become: ${become}, auth: { agent: true } }\n  - { name: gw-01, address: 10.9.0.2, user: root, auth: { agent: true } }\n`;
    expect(errors(planText({ sources: sources("sudo") }))).toEqual([]);
    expect(
      errors(planText({ sources: sources("su") }))
        .map((d) => d.message)
        .join(),
    ).toMatch(/become/);
  });
});
