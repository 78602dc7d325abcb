import { describe, expect, it } from "vitest";
import { analyzePlanText } from "../../../src/plan/analyze.ts";
import { formatDiagnostic } from "../../../src/plan/diagnostics.ts";
import { FIXTURE_NOW, planText, workload } from "./plan-fixture.ts";

// Judged at a fixed time before the fixture's windows, so no test here ages into a warning.
const analyze = (text: string, inventory?: Parameters<typeof analyzePlanText>[2]) =>
  analyzePlanText("plan.yaml", text, { now: FIXTURE_NOW, ...inventory });
const errors = (text: string) => analyze(text).diagnostics.filter((d) => d.severity === "error");

describe("analyzePlanText", () => {
  it("accepts a valid plan and applies schema defaults", () => {
    const { plan, diagnostics } = analyze(planText());
    expect(diagnostics).toEqual([]);
    expect(plan?.defaults.concurrency).toBe(8);
    expect(plan?.workloads[0]?.portable).toBe(false);
    expect(plan?.sources[0]?.port).toBe(22);
  });

  it("reports schema errors and semantic errors of other entries in the same pass", () => {
    const text = planText({
      workloads: `${workload("one", "    bogus: 1\n")}${workload("two", "    dependsOn: [three]\n")}`,
    });
    const messages = errors(text).map((d) => d.message);
    expect(messages).toContainEqual(expect.stringContaining('unknown key "bogus"'));
    expect(messages).toContainEqual(expect.stringContaining('dependsOn "three" is not a workload'));
  });

  it("does not report references to an entry that only has a schema error", () => {
    const text = planText({
      workloads: `${workload("one").replace("kind: generic", "kind: nonsense")}${workload("two", "    dependsOn: [one]\n")}`,
    });
    const messages = errors(text).map((d) => d.message);
    expect(messages).toContainEqual(expect.stringContaining('kind "nonsense" must be one of'));
    expect(messages.some((m) => m.includes('"one" is not a workload'))).toBe(false);
  });

  it("formats diagnostics as FILE:LINE:COL: severity: message", () => {
    const [d] = errors(planText({ workloads: workload("app", "    dependsOn: [ap]\n") }));
    expect(d).toBeDefined();
    expect(formatDiagnostic(d!)).toMatch(/^plan\.yaml:\d+:\d+: error: dependsOn "ap" is not a workload/);
  });

  it("keeps warnings separate: they never make a plan invalid", () => {
    const text = planText({ workloads: workload("app").replace(/ {4}verify:\n.*\n/, "") });
    const { plan, diagnostics } = analyze(text);
    expect(plan).toBeDefined();
    expect(diagnostics.map((d) => [d.severity, d.code])).toEqual([["warning", "no-verify"]]);
  });

  it("warns about a database workload without a window", () => {
    const text = planText({
      workloads: workload("app", "    databases:\n      - { engine: postgresql, name: app }\n").replace(
        / {4}window:.*\n/,
        "",
      ),
    });
    const { plan, diagnostics } = analyze(text);
    expect(plan).toBeDefined();
    expect(diagnostics.some((d) => d.code === "no-window" && d.severity === "warning")).toBe(true);
  });

  it("warns when the downtime budget is longer than the window", () => {
    const text = planText({ workloads: workload("app", "    downtimeBudget: 5h\n") });
    const { plan, diagnostics } = analyze(text);
    expect(plan).toBeDefined();
    expect(diagnostics.map((d) => d.message)).toEqual([
      "downtime budget 5h is longer than the 240-minute window",
    ]);
  });

  it("accepts anchors, aliases and merge keys for shared settings", () => {
    const text = planText({
      workloads: `  - &base
    ${workload("one").slice(4)}  - <<: *base
    name: two
    paths: [/srv/two]
`,
    });
    const { plan, diagnostics } = analyze(text);
    expect(diagnostics).toEqual([]);
    expect(plan?.workloads.map((w) => [w.name, w.target, w.paths])).toEqual([
      ["one", "tgt-01", ["/srv/one"]],
      ["two", "tgt-01", ["/srv/two"]],
    ]);
  });

  it("points an unknown key at the key itself", () => {
    const text = planText({ workloads: workload("app", "    pathz: []\n") });
    const [d] = errors(text);
    const line = text.split("\n")[d!.line - 1]!;
    expect(line.slice(d!.column - 1)).toBe("pathz: []");
    expect(d!.message).toContain('did you mean "paths"');
  });

  it("points a missing key at the map that lacks it", () => {
    const text = planText({ workloads: workload("app").replace("    bureau: test\n", "") });
    const [d] = errors(text);
    expect(d!.message).toBe('missing required key "bureau"');
    expect(text.split("\n")[d!.line - 1]).toBe("  - name: app");
  });

  it("uses inventory architecture instead of the x86_64 assumption", () => {
    const arm = planText({
      workloads: workload("app")
        .replace("target: tgt-01", "target: arm-01")
        .replace("zone: egov-extranet", "zone: egov-intranet"),
    });
    expect(errors(arm).map((d) => d.code)).toEqual(["arch"]);
    const facts = { inventory: { hosts: { "src-01": { arch: "aarch64" } } } };
    expect(analyze(arm, facts).diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const x86 = planText();
    const moved = { inventory: { hosts: { "src-01": { arch: "loongarch64" } } } };
    expect(analyze(x86, moved).diagnostics.find((d) => d.code === "arch")?.message).toContain(
      "loongarch64 (from inventory)",
    );
  });

  it("reports a jump-host loop", () => {
    const sources = `  - { name: src-01, address: 10.9.0.11, user: root, auth: { agent: true }, via: gw-01 }
  - { name: gw-01, address: 10.9.0.2, user: root, auth: { agent: true }, via: src-01 }
`;
    const messages = errors(planText({ sources })).map((d) => d.message);
    expect(messages).toContainEqual(expect.stringContaining("jump hosts loop: src-01 -> gw-01 -> src-01"));
  });

  it("names the closest known hosts for an unknown gateway", () => {
    const text = planText({
      workloads: workload(
        "app",
        "    cutover: { strategy: proxy, gateway: gw-1, upstreamFile: /etc/nginx/conf.d/app.upstream }\n",
      ),
    });
    expect(errors(text).map((d) => d.message)).toEqual([
      'gateway "gw-1" is not a host in this plan; did you mean "gw-01"?',
    ]);
  });
});
