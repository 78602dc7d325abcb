/**
 * The run plan is the contract: the planner derives each step's typed input once from the plan,
 * the actions describe those inputs with the commands the steps really run, `plan --json`
 * prints them (schema/plan-output.schema.json), and apply hands each step exactly that input.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { requestUrl } from "../../../../src/engine/planning/plan-inputs.ts";
import {
  cutoverInput,
  planRun,
  type RunPlan,
  type RunStep,
} from "../../../../src/engine/planning/planner.ts";
import { stepInputJsonSchema } from "../../../../src/engine/planning/write-plan-output-schema.ts";
import { applyPlan, prepareApply } from "../../../../src/engine/running/apply.ts";
import { analyzePlanText } from "../../../../src/plan/analyze.ts";
import type { Plan } from "../../../../src/plan/schema.ts";
import { engineFor } from "../../../../src/steps/db/engines.ts";
import { PlannedInput, STEP_INPUTS } from "../../../../src/steps/inputs.ts";
import { planText, workload } from "../../plan/plan-fixture.ts";
import { applyOptions, makePlan, RecordingSteps } from "../fixtures.ts";

function load(text: string): Plan {
  const { plan, diagnostics } = analyzePlanText("plan.yaml", text);
  if (!plan) throw new Error(diagnostics.map((d) => d.message).join("\n"));
  return plan;
}

const APP = workload(
  "app",
  `    services: [app.service]
    databases:
      - { engine: postgresql, name: appdb, port: 5433, passwordEnv: APP_PG_PASSWORD }
      - { engine: mariadb, name: shop, user: shop }
    rewrite:
      - files: [/srv/app/app.conf, /etc/app.ini]
        replace: { "10.9.0.11": "172.16.9.11" }
    commands: [systemctl daemon-reload]
    cutover: { strategy: proxy, gateway: gw-01, upstreamFile: /etc/nginx/conf.d/app.upstream, upstreamPort: 8080 }
`,
).replace(
  "      - tcp: { host: tgt-01, port: 22 }\n",
  `      - tcp: { host: tgt-01, port: 22 }
      - rowCount: { database: appdb, tables: [t1] }
      - http: { url: "http://tgt-01:8080/health?x=1", from: gw-01, contains: ok }
      - command: { host: tgt-01, run: "test -f /srv/app/ok" }
`,
);

const steps = (run: RunPlan, name: string): RunStep[] =>
  run.waves.flatMap((w) => w.workloads).find((w) => w.name === name)!.steps;

function step<K extends RunStep["name"]>(run: RunPlan, name: string, kind: K): Extract<RunStep, { name: K }> {
  return steps(run, name).find((s): s is Extract<RunStep, { name: K }> => s.name === kind)!;
}

describe("the planner's step inputs", () => {
  const run = planRun(load(planText({ workloads: APP })));
  const source = { name: "src-01", address: "10.9.0.11" };
  const target = { name: "tgt-01", address: "172.16.9.11" };
  const appdb = {
    engine: "postgresql",
    name: "appdb",
    port: 5433,
    passwordEnv: "APP_PG_PASSWORD",
    dumpFile: "/var/lib/migrate/app/postgresql-appdb.dump",
    finalDumpFile: "/var/lib/migrate/app/postgresql-appdb.final.dump",
    mode: "replicate",
    modeReason: "default for postgresql; apply moves it by dump instead if the replication preflight blocks",
    modeAsked: false,
  };
  const shop = {
    engine: "mariadb",
    name: "shop",
    user: "shop",
    dumpFile: "/var/lib/migrate/app/mariadb-shop.dump",
    finalDumpFile: "/var/lib/migrate/app/mariadb-shop.final.dump",
    mode: "dump",
    modeReason:
      "default for mariadb: its freeze (read_only) stops the whole server, so set mode: replicate to choose it",
    modeAsked: false,
  };
  const rewrites = [
    { file: "/srv/app/app.conf", replace: { "10.9.0.11": "172.16.9.11" } },
    { file: "/etc/app.ini", replace: { "10.9.0.11": "172.16.9.11" } },
  ];

  it("gives the snapshot its source, paths, hash, staging directory and dump files", () => {
    expect(step(run, "app", "snapshot").input).toEqual({
      workload: "app",
      source,
      target,
      paths: ["/srv/app"],
      hash: "sha256",
      stagingDir: "/var/lib/migrate/app",
      databases: [appdb, shop],
    });
  });

  it("keeps a mode the plan asks for, so apply refuses instead of downgrading it", () => {
    const asked = planRun(
      load(
        planText({ workloads: APP.replace("name: shop, user: shop", "name: shop, user: shop, mode: dump") }),
      ),
    );
    expect(step(asked, "app", "cutover").input.databases[1]).toMatchObject({
      mode: "dump",
      modeReason: "asked for in the plan",
      modeAsked: true,
    });
  });

  it("gives transfer both hosts and reconfigure the rewrites, commands and databases", () => {
    expect(step(run, "app", "transfer").input).toEqual({
      workload: "app",
      source,
      target,
      paths: ["/srv/app"],
      hash: "sha256",
      stagingDir: "/var/lib/migrate/app",
    });
    expect(step(run, "app", "reconfigure").input).toEqual({
      workload: "app",
      source,
      target,
      stagingDir: "/var/lib/migrate/app",
      rewrites,
      commands: ["systemctl daemon-reload"],
      databases: [appdb, shop],
    });
  });

  it("gives the cutover its services and a resolved traffic switch", () => {
    expect(step(run, "app", "cutover").input).toMatchObject({
      services: ["app.service"],
      rewrites,
      databases: [appdb, shop],
      traffic: {
        strategy: "proxy",
        gateway: { name: "gw-01", address: "10.9.0.2" },
        upstreamFile: "/etc/nginx/conf.d/app.upstream",
        upstreamPort: 8080,
      },
    });
  });

  it("resolves the hosts verify checks name: tcp address, http URL host, rowCount database", () => {
    expect(step(run, "app", "verify").input.checks).toEqual([
      { kind: "tcp", host: target, port: 22 },
      { kind: "rowCount", database: "appdb", tables: ["t1"], db: appdb },
      {
        kind: "http",
        url: "http://tgt-01:8080/health?x=1",
        requestUrl: "http://172.16.9.11:8080/health?x=1",
        status: 200,
        contains: "ok",
        from: "gw-01",
      },
      { kind: "command", host: "tgt-01", run: "test -f /srv/app/ok" },
    ]);
  });

  it("requests every URL as the URL parser normalizes it, a plan host's at its address", () => {
    const hosts = new Map([["tgt-1", { name: "tgt-1", address: "127.0.10.21" }]]) as unknown as Parameters<
      typeof requestUrl
    >[1];
    const hostile = "http://127.0.0.9/health?q=$(touch /tmp/pwned) 'x' `id`";
    expect(requestUrl(hostile, hosts)).toBe(
      "http://127.0.0.9/health?q=$(touch%20/tmp/pwned)%20%27x%27%20`id`",
    );
    expect(requestUrl("http://tgt-1:8080/a b", hosts)).toBe("http://127.0.10.21:8080/a%20b");
  });

  it("derives dns, command and no switch", () => {
    const plan = load(
      planText({
        workloads: `${workload("d", "    cutover: { strategy: dns, server: 10.9.0.53, zone: example., record: app.example., keyFile: /etc/k.key }\n")}${workload("c", '    cutover: { strategy: command, host: gw-01, run: "switch on", undo: "switch off" }\n')}${workload("n")}`,
      }),
    );
    const planned = planRun(plan);
    expect(step(planned, "d", "cutover").input.traffic).toEqual({
      strategy: "dns",
      server: "10.9.0.53",
      zone: "example.",
      record: "app.example.",
      ttl: 60,
      keyFile: "/etc/k.key",
    });
    expect(step(planned, "c", "cutover").input.traffic).toEqual({
      strategy: "command",
      host: "gw-01",
      run: "switch on",
      undo: "switch off",
    });
    expect(step(planned, "n", "cutover").input.traffic).toEqual({ strategy: "none" });
  });

  it("are plain data each step's zod schema accepts as they are, after a JSON round trip", () => {
    for (const planned of steps(run, "app")) {
      const json = JSON.parse(JSON.stringify({ name: planned.name, input: planned.input }));
      expect(PlannedInput.parse(json)).toEqual(json);
      expect(STEP_INPUTS[planned.name].parse(json.input)).toEqual(planned.input);
    }
  });
});

describe("the actions describe the inputs with the steps' own facts", () => {
  const dumped = APP.replace("passwordEnv: APP_PG_PASSWORD }", "passwordEnv: APP_PG_PASSWORD, mode: dump }");
  const run = planRun(load(planText({ workloads: dumped })));
  const [appdb, shop] = step(run, "app", "snapshot").input.databases;

  it("shows a replicated database's phases instead of dumps, with the fallback the default has", () => {
    const replicated = planRun(load(planText({ workloads: APP })));
    const phases = steps(replicated, "app").flatMap((s) =>
      s.actions
        .filter((a) => a.type === "replicate")
        .map((a) => `${s.name}:${a.type === "replicate" && a.phase}`),
    );
    expect(phases).toEqual(["snapshot:preflight", "reconfigure:start", "cutover:catch-up"]);
    const preflight = step(replicated, "app", "snapshot").actions.find((a) => a.type === "replicate");
    expect(preflight?.summary).toContain("a blocking finding moves it by dump instead");
    const copies = step(replicated, "app", "transfer").actions.filter((a) => a.type === "sync");
    expect(copies.map((a) => a.type === "sync" && a.path)).not.toContain(
      "/var/lib/migrate/app/postgresql-appdb.dump",
    );
  });

  it("shows the dump and restore commands the steps run, on the files in the inputs", () => {
    const dumps = step(run, "app", "snapshot").actions.filter((a) => a.type === "dump");
    expect(dumps).toMatchObject([
      { file: appdb!.dumpFile, tool: engineFor(appdb!).dump(appdb!).text },
      { file: shop!.dumpFile, tool: engineFor(shop!).dump(shop!).text },
    ]);
    expect(dumps[0]!.tool).toBe("runuser -u postgres -- pg_dump -Fc -Z0 -p 5433 -d appdb");
    expect(dumps[0]!.summary).toContain(
      "runuser -u postgres -- pg_dump -Fc -Z0 -p 5433 -d appdb > /var/lib/migrate/app/postgresql-appdb.dump",
    );
    expect(dumps[1]!.tool).toBe(
      "mysqldump -u shop --single-transaction --routines --triggers --events --order-by-primary --skip-dump-date shop",
    );
    const restores = step(run, "app", "reconfigure").actions.filter((a) => a.type === "restore");
    expect(restores.map((a) => a.tool)).toEqual([
      engineFor(appdb!).restore(appdb!, appdb!.dumpFile).text,
      engineFor(shop!).restore(shop!, shop!.dumpFile).text,
    ]);
    const cutover = step(run, "app", "cutover").actions;
    expect(cutover.filter((a) => a.type === "stream-dump").map((a) => a.file)).toEqual([
      appdb!.finalDumpFile,
      shop!.finalDumpFile,
    ]);
    expect(cutover.filter((a) => a.type === "restore").map((a) => a.type === "restore" && a.tool)).toEqual([
      engineFor(appdb!).restore(appdb!, appdb!.finalDumpFile).text,
      engineFor(shop!).restore(shop!, shop!.finalDumpFile).text,
    ]);
  });
});

describe("apply executes the run plan", () => {
  it("hands each step the very input object of the run plan it was given", async () => {
    const plan = makePlan([{ name: "a" }, { name: "b", source: "src-2" }]);
    const recording = new RecordingSteps();
    recording.behave = async (_context, name) =>
      name === "cutover" ? { frozenAt: "2026-01-01T00:00:00Z" } : {};
    const { options, journal } = applyOptions(plan, recording);
    const prepared = prepareApply(plan, journal.records, options.planHash);
    const result = await applyPlan({ ...options, prepared });
    expect(result.status).toBe("succeeded");
    const planned = prepared.runPlan.waves.flatMap((w) => w.workloads).flatMap((w) => w.steps);
    expect(recording.inputs.size).toBe(planned.length);
    for (const s of planned) expect(recording.inputs.get(s.key)).toBe(s.input);
  });

  it("rolls a cutover back with the cutover's planned input", async () => {
    const plan = makePlan([{ name: "a" }]);
    const recording = new RecordingSteps();
    const undone: unknown[] = [];
    const real = recording.steps;
    const steps = {
      ...real,
      cutover: { ...real.cutover, undo: async (input: unknown) => void undone.push(input) },
      verify: {
        ...real.verify,
        run: async () => {
          throw new Error("health check failed");
        },
      },
    };
    const { options, journal } = applyOptions(plan, recording, { steps });
    const prepared = prepareApply(plan, journal.records, options.planHash);
    await applyPlan({ ...options, prepared });
    expect(undone).toEqual([cutoverInput(prepared.runPlan.waves[0]!.workloads[0]!)]);
  });
});

describe("plan-output schema", () => {
  it("documents each step's input exactly as its zod schema says (else run src/engine/planning/write-plan-output-schema.ts)", () => {
    const file = join(import.meta.dirname, "../../../../schema/plan-output.schema.json");
    const committed = JSON.parse(readFileSync(file, "utf8")) as { $defs: Record<string, unknown> };
    for (const name of Object.keys(STEP_INPUTS) as (keyof typeof STEP_INPUTS)[]) {
      expect(committed.$defs[`input-${name}`], `$defs.input-${name}`).toEqual(stepInputJsonSchema(name));
    }
  });
});
