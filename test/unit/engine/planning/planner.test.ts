import { describe, expect, it } from "vitest";
import type { Action } from "../../../../src/engine/planning/plan-actions.ts";
import { planRun, type RunPlan } from "../../../../src/engine/planning/planner.ts";
import { analyzePlanText } from "../../../../src/plan/analyze.ts";
import type { Plan } from "../../../../src/plan/schema.ts";
import { planText, workload } from "../../plan/plan-fixture.ts";

function load(text: string): Plan {
  const { plan, diagnostics } = analyzePlanText("plan.yaml", text);
  if (!plan) throw new Error(diagnostics.map((d) => d.message).join("\n"));
  return plan;
}

const actions = (run: RunPlan, name: string, step: string): Action[] =>
  run.waves
    .flatMap((w) => w.workloads)
    .find((w) => w.name === name)!
    .steps.find((s) => s.name === step)!.actions;

const DB_APP = workload(
  "app",
  `    services: [app.service]
    databases:
      - { engine: postgresql, name: appdb, user: postgres, port: 5432, passwordEnv: APP_PG_PASSWORD, mode: dump }
    rewrite:
      - files: [/srv/app/app.conf]
        replace: { "10.9.0.11": "172.16.9.11" }
    commands: [systemctl daemon-reload]
    cutover: { strategy: proxy, gateway: gw-01, upstreamFile: /etc/nginx/conf.d/app.upstream, upstreamPort: 8080 }
`,
).replace(
  "      - tcp: { host: tgt-01, port: 22 }\n",
  "      - rowCount: { database: appdb, tables: [t1, t2] }\n",
);

describe("planRun", () => {
  it("lists waves in order, dependencies first, each workload with the five steps keyed workload/step", () => {
    const plan = load(
      planText({
        workloads: `${workload("late", "", 2)}${workload("web", "    dependsOn: [base]\n")}${workload("base")}`,
      }),
    );
    const run = planRun(plan);
    expect(run.version).toBe(1);
    expect(run.waves.map((w) => [w.wave, w.workloads.map((x) => x.name)])).toEqual([
      [1, ["base", "web"]],
      [2, ["late"]],
    ]);
    const web = run.waves[0]!.workloads[1]!;
    expect(web.steps.map((s) => s.key)).toEqual([
      "web/snapshot",
      "web/transfer",
      "web/reconfigure",
      "web/cutover",
      "web/verify",
    ]);
    expect(web.tenant).toEqual({ name: "ext", cloud: "test-cloud", zone: "egov-extranet", arch: "x86_64" });
    expect(run.summary).toEqual({
      waves: 2,
      workloads: 3,
      steps: 15,
      pendingSteps: 15,
      doneSteps: 0,
      pendingWorkloads: 3,
    });
  });

  it("marks journaled steps done and counts only what remains", () => {
    const plan = load(planText({ workloads: `${workload("a")}${workload("b")}` }));
    const done = new Set([
      "a/snapshot",
      "a/transfer",
      "a/reconfigure",
      "a/cutover",
      "a/verify",
      "b/snapshot",
    ]);
    const run = planRun(plan, { completed: done });
    const [a, b] = run.waves[0]!.workloads;
    expect(a!.status).toBe("done");
    expect(b!.status).toBe("partial");
    expect(b!.steps.map((s) => s.status)).toEqual(["done", "pending", "pending", "pending", "pending"]);
    expect(run.summary.pendingSteps).toBe(4);
    expect(run.summary.pendingWorkloads).toBe(1);
  });

  it("dumps databases with the engine's command, copies and restores them, and moves them again after the freeze", () => {
    const run = planRun(load(planText({ workloads: DB_APP })));
    const snapshot = actions(run, "app", "snapshot");
    expect(snapshot.map((a) => a.type)).toEqual(["manifest", "pre-hash", "dump"]);
    // The target's copy is hashed there beside the source's manifest, read-only.
    expect(snapshot[1]).toMatchObject({ host: run.waves[0]!.workloads[0]!.target, hash: "sha256" });
    expect(snapshot[1]!.summary).toMatch(/^pre-hash target /);
    expect(snapshot[2]).toMatchObject({
      tool: "runuser -u postgres -- pg_dump -Fc -Z0 -p 5432 -d appdb",
      database: "appdb",
      passwordEnv: "APP_PG_PASSWORD",
      file: "/var/lib/migrate/app/postgresql-appdb.dump",
    });
    expect(actions(run, "app", "transfer")).toMatchObject([
      { type: "sync", path: "/srv/app", tool: "tar", phase: "initial" },
      { type: "sync", path: "/var/lib/migrate/app/postgresql-appdb.dump" },
    ]);
    expect(actions(run, "app", "reconfigure").map((a) => a.type)).toEqual(["rewrite", "command", "restore"]);
    expect(actions(run, "app", "reconfigure")[2]).toMatchObject({ rowCounts: "at-least-source" });
    expect(actions(run, "app", "cutover").map((a) => a.type)).toEqual([
      "freeze",
      "sync",
      "rewrite",
      "stream-dump",
      "restore",
      "start",
      "proxy-switch",
    ]);
    expect(actions(run, "app", "cutover")[4]).toMatchObject({
      file: "/var/lib/migrate/app/postgresql-appdb.final.dump",
      rowCounts: "equal-to-source",
    });
  });

  it("rewrites on the target, again after the final sync, and expects rewritten content in verify", () => {
    const run = planRun(load(planText({ workloads: DB_APP })));
    const rewrite = {
      type: "rewrite",
      host: "tgt-01",
      file: "/srv/app/app.conf",
      replace: { "10.9.0.11": "172.16.9.11" },
    };
    expect(actions(run, "app", "reconfigure")[0]).toMatchObject({ ...rewrite, phase: "initial" });
    expect(actions(run, "app", "cutover")[2]).toMatchObject({ ...rewrite, phase: "final" });
    expect(actions(run, "app", "verify").at(-1)).toMatchObject({
      type: "manifest-verify",
      rewritten: ["/srv/app/app.conf"],
    });
  });

  it("gives every cutover action an undo that reverses it", () => {
    const run = planRun(load(planText({ workloads: DB_APP })));
    const cutover = actions(run, "app", "cutover");
    expect(cutover.find((a) => a.type === "proxy-switch")).toMatchObject({
      gateway: "gw-01",
      upstreamFile: "/etc/nginx/conf.d/app.upstream",
      from: "10.9.0.11:8080",
      to: "172.16.9.11:8080",
      undo: { type: "proxy-switch", from: "172.16.9.11:8080", to: "10.9.0.11:8080" },
    });
    expect(cutover[0]).toMatchObject({
      type: "freeze",
      host: "src-01",
      undo: { type: "start", host: "src-01", services: ["app.service"] },
    });
  });

  it("plans dns and command cutovers with their undo", () => {
    const plan = load(
      planText({
        workloads: `${workload("d", "    cutover: { strategy: dns, server: 10.9.0.53, zone: example., record: app.example., keyFile: /etc/k.key }\n")}${workload("c", '    cutover: { strategy: command, host: gw-01, run: "switch on", undo: "switch off" }\n')}`,
      }),
    );
    const run = planRun(plan);
    expect(actions(run, "d", "cutover").at(-1)).toMatchObject({
      type: "dns-switch",
      from: "10.9.0.11",
      to: "172.16.9.11",
      ttl: 60,
      undo: { from: "172.16.9.11", to: "10.9.0.11" },
    });
    expect(actions(run, "c", "cutover").at(-1)).toMatchObject({
      type: "command",
      host: "gw-01",
      run: "switch on",
      undo: { run: "switch off" },
    });
  });

  it("compares row counts between source and target with the database's engine", () => {
    const run = planRun(load(planText({ workloads: DB_APP })));
    expect(actions(run, "app", "verify")[0]).toMatchObject({
      type: "check",
      check: {
        kind: "rowCount",
        engine: "postgresql",
        database: "appdb",
        tables: ["t1", "t2"],
        source: "src-01",
        target: "tgt-01",
      },
    });
  });

  it("carries the window on the cutover step and inventory sizes on transfers", () => {
    const plan = load(planText({ workloads: workload("app") }));
    const run = planRun(plan, {
      inventory: { hosts: { "src-01": { paths: { "/srv/app": { bytes: 5 * 1024 ** 3, files: 1200 } } } } },
    });
    const cutover = run.waves[0]!.workloads[0]!.steps[3]!;
    expect(cutover.window).toEqual({ start: "2026-12-05T22:00+08:00", end: "2026-12-06T02:00+08:00" });
    expect(actions(run, "app", "transfer")[0]).toMatchObject({ bytes: 5 * 1024 ** 3, files: 1200 });
    expect(actions(run, "app", "transfer")[0]!.summary).toContain("(5.00 GiB, 1200 files)");
  });

  it("returns plain data that survives a JSON round trip", () => {
    const run = planRun(load(planText({ workloads: DB_APP })), { planHash: "a".repeat(64) });
    expect(JSON.parse(JSON.stringify(run))).toEqual(run);
  });
});

describe("plan-output schema coverage", () => {
  it("accepts every action type the planner emits, with inventory sizes and journal status", async () => {
    const { readFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { Ajv2020 } = await import("ajv/dist/2020.js");
    const schema = JSON.parse(
      readFileSync(join(import.meta.dirname, "../../../../schema/plan-output.schema.json"), "utf8"),
    );
    const plan = load(
      planText({
        workloads: `${DB_APP}${workload("d", "    services: [d.service]\n    cutover: { strategy: dns, server: 10.9.0.53, zone: example., record: d.example., keyFile: /etc/k.key }\n")}${workload("c", '    databases: [{ engine: mysql, name: cdb }, { engine: postgresql, name: pdb }]\n    cutover: { strategy: command, host: gw-01, run: "switch on", undo: "switch off" }\n    verify:\n      - http: { url: "http://10.9.0.2/", from: gw-01, contains: ok }\n      - command: { host: tgt-01, run: "true" }\n').replace(/ {4}verify:\n {6}- tcp: \{ host: tgt-01, port: 22 \}\n(?= {4}databases)/, "")}`,
      }),
    );
    const run = planRun(plan, {
      planHash: "b".repeat(64),
      completed: new Set(["app/snapshot"]),
      inventory: { hosts: { "src-01": { paths: { "/srv/app": { bytes: 10, files: 1 } } } } },
    });
    const types = new Set(
      run.waves.flatMap((w) =>
        w.workloads.flatMap((x) => x.steps.flatMap((s) => s.actions.map((a) => a.type))),
      ),
    );
    expect([...types].sort()).toEqual(
      [
        "check",
        "command",
        "dns-switch",
        "dump",
        "freeze",
        "manifest",
        "manifest-verify",
        "pre-hash",
        "proxy-switch",
        "replicate",
        "restore",
        "rewrite",
        "start",
        "stream-dump",
        "sync",
      ].sort(),
    );
    const validate = new Ajv2020({ strict: true }).compile(schema);
    validate(JSON.parse(JSON.stringify(run)));
    expect(validate.errors ?? []).toEqual([]);
  });
});
