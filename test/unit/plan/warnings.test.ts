/**
 * The nine `validate` warnings the README promises: each fires on its own for the plan that is
 * probably not what its author meant, at the entry to fix, and never makes the plan invalid.
 */
import { describe, expect, it } from "vitest";
import { analyzePlanText } from "../../../src/plan/analyze.ts";
import { FIXTURE_NOW, planText, workload } from "./plan-fixture.ts";

const WINDOW = '    window: { start: "2026-12-05T22:00+08:00", end: "2026-12-06T02:00+08:00" }\n';
const window = (start: string, end: string) => `    window: { start: "${start}", end: "${end}" }\n`;
const cutover =
  "    cutover: { strategy: proxy, gateway: gw-01, upstreamFile: /etc/nginx/conf.d/app.upstream }\n";

function warningsOf(workloads: string) {
  const { plan, diagnostics } = analyzePlanText("plan.yaml", planText({ workloads }), { now: FIXTURE_NOW });
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  expect(plan).toBeDefined();
  return diagnostics.map((d) => ({ code: d.code, line: d.line, message: d.message, path: d.path }));
}

const lineOf = (text: string, fragment: string) =>
  planText({ workloads: text })
    .split("\n")
    .findIndex((line) => line.includes(fragment)) + 1;

describe("validate warnings", () => {
  it("the fixture itself draws none", () => {
    expect(warningsOf(workload("app"))).toEqual([]);
  });

  it("no-verify: a workload without checks", () => {
    const text = workload("app").replace(/ {4}verify:\n.*\n/, "");
    expect(warningsOf(text)).toEqual([
      {
        code: "no-verify",
        line: lineOf(text, "name: app"),
        message:
          'workload "app" has no verify checks; only file manifests will be compared before the source is retired',
        path: ["workloads", 0, "name"],
      },
    ]);
  });

  it("no-window: a cutover, or a database, without a maintenance window", () => {
    const text = workload("app", `${cutover}    services: [nginx.service]\n`).replace(WINDOW, "");
    expect(warningsOf(text)).toEqual([
      expect.objectContaining({
        code: "no-window",
        message:
          'workload "app" has a cutover but no maintenance window; apply will cut over whenever it gets there',
        path: ["workloads", 0, "name"],
      }),
    ]);
    const db = workload("db", "    databases: [{ engine: postgresql, name: revenue }]\n").replace(WINDOW, "");
    expect(warningsOf(db).map((w) => [w.code, w.message])).toEqual([
      [
        "no-window",
        'workload "db" has a database but no maintenance window; apply will cut over whenever it gets there',
      ],
    ]);
  });

  it("no-freeze: a cutover that stops no service on the source", () => {
    expect(warningsOf(workload("app", cutover)).map((w) => [w.code, w.path])).toEqual([
      ["no-freeze", ["workloads", 0, "name"]],
    ]);
  });

  it("nothing-to-move: neither paths nor databases", () => {
    const text = workload("app").replace("    paths: [/srv/app]\n", "");
    expect(warningsOf(text).map((w) => [w.code, w.message])).toEqual([
      ["nothing-to-move", 'workload "app" lists no paths and no databases; nothing will be transferred'],
    ]);
  });

  it("duplicate-dependency: the same workload twice in dependsOn, at the second one", () => {
    const text = workload("db") + workload("app", "    dependsOn: [db, db]\n");
    expect(warningsOf(text).map((w) => [w.code, w.message, w.path])).toEqual([
      ["duplicate-dependency", '"db" is listed twice in dependsOn', ["workloads", 1, "dependsOn", 1]],
    ]);
  });

  it("empty-wave: a gap in the wave numbers, once per missing wave", () => {
    const text = workload("one") + workload("four", "", 4);
    expect(warningsOf(text).map((w) => w.message)).toEqual([
      "wave 2 has no workloads (waves go up to 4)",
      "wave 3 has no workloads (waves go up to 4)",
    ]);
  });

  it("rewrite-outside-paths: a rewritten file the transfer does not bring", () => {
    const text = workload("app", "    rewrite: [{ files: [/etc/app.conf], replace: { a: b } }]\n");
    expect(warningsOf(text).map((w) => [w.code, w.path])).toEqual([
      ["rewrite-outside-paths", ["workloads", 0, "rewrite", 0, "files", 0]],
    ]);
    const inside = workload("app", "    rewrite: [{ files: [/srv/app/app.conf], replace: { a: b } }]\n");
    expect(warningsOf(inside)).toEqual([]);
  });

  it("budget-exceeds-window: a downtime budget longer than the window, in any unit", () => {
    // The fixture's window is four hours: 22:00 to 02:00 at +08:00.
    for (const budget of ["241m", "5h", "14401s", "14400001ms"]) {
      const text = workload("app", `    downtimeBudget: ${budget}\n`);
      expect(
        warningsOf(text).map((w) => [w.code, w.message]),
        budget,
      ).toEqual([
        ["budget-exceeds-window", `downtime budget ${budget} is longer than the 240-minute window`],
      ]);
    }
    for (const budget of ["240m", "4h", "14400s", "90s"])
      expect(warningsOf(workload("app", `    downtimeBudget: ${budget}\n`)), budget).toEqual([]);
  });

  it("short-window: under 30 minutes, however the offset is written", () => {
    const short = workload("app").replace(WINDOW, window("2026-12-05T22:00+08:00", "2026-12-05T14:29Z"));
    expect(warningsOf(short).map((w) => [w.code, w.message, w.path])).toEqual([
      ["short-window", "window of 29 minutes is shorter than 30 minutes", ["workloads", 0, "window"]],
    ]);
    const exact = workload("app").replace(WINDOW, window("2026-12-05T22:00+08:00", "2026-12-05T22:30+08:00"));
    expect(warningsOf(exact)).toEqual([]);
  });

  it("no-window and nothing-to-move need their cause: a plain workload without a window, or one moving only a database, draws neither", () => {
    expect(warningsOf(workload("app").replace(WINDOW, ""))).toEqual([]);
    const dbOnly = workload("db", "    databases: [{ engine: postgresql, name: revenue }]\n").replace(
      "    paths: [/srv/db]\n",
      "",
    );
    expect(warningsOf(dbOnly)).toEqual([]);
  });

  it("empty-wave points at the workloads list", () => {
    expect(warningsOf(workload("one") + workload("three", "", 3)).map((w) => [w.code, w.path])).toEqual([
      ["empty-wave", ["workloads"]],
    ]);
  });
});
