/**
 * Warnings as a user reads them in full (message, place and hint), and the advice held back when
 * a workload has an error of its own: a user fixing an error must not also be told about
 * follow-on "problems" of a half-read entry.
 */
import { describe, expect, it } from "vitest";
import { analyzePlanText } from "../../../src/plan/analyze.ts";
import { FIXTURE_NOW, planText, SOURCES, workload } from "./plan-fixture.ts";

const cutover =
  "    cutover: { strategy: proxy, gateway: gw-01, upstreamFile: /etc/nginx/conf.d/app.upstream }\n";

function analyze(workloads: string, sources?: string) {
  const { diagnostics } = analyzePlanText("plan.yaml", planText({ workloads, sources }), {
    now: FIXTURE_NOW,
  });
  return diagnostics.map((d) => ({
    severity: d.severity,
    code: d.code,
    line: d.line,
    path: d.path,
    message: d.message,
    hint: d.hint,
  }));
}

const lineOf = (workloads: string, fragment: string, sources?: string) =>
  planText({ workloads, sources })
    .split("\n")
    .findIndex((line) => line.includes(fragment)) + 1;

describe("validate warnings, read in full", () => {
  it("no-freeze says what is lost and which key to add", () => {
    const text = workload("app", cutover);
    expect(analyze(text)).toEqual([
      {
        severity: "warning",
        code: "no-freeze",
        line: lineOf(text, "name: app"),
        path: ["workloads", 0, "name"],
        message:
          'workload "app" has a cutover but no services, so the source is never frozen; writes after the final sync are lost',
        hint: "list the source's services (systemd units) under services",
      },
    ]);
  });

  it("nothing-to-move points at the workload's name", () => {
    const text = workload("one") + workload("app").replace("    paths: [/srv/app]\n", "");
    expect(analyze(text)).toEqual([
      expect.objectContaining({
        code: "nothing-to-move",
        line: lineOf(text, "name: app"),
        path: ["workloads", 1, "name"],
      }),
    ]);
  });
});

describe("rewrite-outside-paths", () => {
  const rewrite = (paths: string, files: string) =>
    workload("app", `    rewrite: [{ files: [${files}], replace: { a: b } }]\n`).replace(
      "    paths: [/srv/app]\n",
      `    paths: [${paths}]\n`,
    );

  it("says which file must already exist on the target", () => {
    const text = rewrite("/srv/app", "/etc/app.conf");
    expect(analyze(text)).toEqual([
      {
        severity: "warning",
        code: "rewrite-outside-paths",
        line: lineOf(text, "rewrite:"),
        path: ["workloads", 0, "rewrite", 0, "files", 0],
        message:
          'rewrite file "/etc/app.conf" is not under any of the workload\'s paths; it must already exist on the target',
        hint: undefined,
      },
    ]);
  });

  it("accepts a file under any one of the paths, a path that is the file itself, or a path written with a trailing slash", () => {
    expect(analyze(rewrite("/srv/app, /etc/app", "/etc/app/app.conf"))).toEqual([]);
    expect(analyze(rewrite("/srv/app, /etc/app.conf", "/etc/app.conf"))).toEqual([]);
    expect(analyze(rewrite("/srv/app/", "/srv/app/app.conf"))).toEqual([]);
    // A sibling whose name merely starts with the path's is not under it.
    expect(analyze(rewrite("/srv/app", "/srv/app2/app.conf")).map((d) => d.code)).toEqual([
      "rewrite-outside-paths",
    ]);
  });
});

describe("no advice about entries that have errors", () => {
  it("a workload whose optional field is refused draws only that error, not advice", () => {
    // No verify checks (normally "no-verify"), but its downtime budget is not a duration.
    const text = workload("app", "    downtimeBudget: soon\n").replace(/ {4}verify:\n.*\n/, "");
    expect(analyze(text).map((d) => [d.severity, d.code, d.path])).toEqual([
      ["error", "invalid-format", ["workloads", 0, "downtimeBudget"]],
    ]);
    // The same workload with a valid budget draws the advice: the error is what held it back.
    const valid = workload("app", "    downtimeBudget: 15m\n").replace(/ {4}verify:\n.*\n/, "");
    expect(analyze(valid).map((d) => d.code)).toEqual(["no-verify"]);
  });

  it("a wave gap is not reported while a refused workload may be the one that fills it", () => {
    const refused = workload("two", "", 2).replace("kind: generic", "kind: mainframe");
    const text = workload("one") + refused + workload("three", "", 3);
    expect(analyze(text).map((d) => [d.severity, d.path])).toEqual([["error", ["workloads", 1, "kind"]]]);
    expect(analyze(workload("one") + workload("three", "", 3)).map((d) => d.code)).toEqual(["empty-wave"]);
  });
});

describe("a host name defined twice", () => {
  it("is checked as its first definition, the one references resolve to", () => {
    // Both entries are refused as duplicates; the first one's jump host is still checked.
    const host = (address: string, via = "") =>
      `  - name: src-01\n    address: ${address}\n    user: root\n${via}    auth: { agent: true }\n`;
    const gateway = SOURCES.slice(SOURCES.indexOf("  - name: gw-01"));
    const sources = gateway + host("10.9.0.12", "    via: bastion-01\n") + host("10.9.0.13");
    const found = analyze(workload("app"), sources).filter((d) => d.severity === "error");
    expect(found.map((d) => [d.code, d.path])).toEqual([
      ["unknown-reference", ["sources", 1, "via"]],
      ["duplicate-host", ["sources", 2, "name"]],
    ]);
  });
});
