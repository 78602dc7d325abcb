/**
 * Injection (issue 6, part 4): names, paths, rewrite strings, URLs and commands carrying shell
 * metacharacters, quotes, newlines, `$()`, backticks and leading dashes are either refused by
 * validation — at the line and column of the hostile value — or reach the hosts literally. What
 * the remote side received is read on the hosts themselves: a directory whose name is a shell
 * payload, a file named `-rf`, a rewrite replacement full of `$()` and quotes, a declared
 * command whose output shows it was parsed exactly once, an HTTP check whose request line shows
 * in the gateway's access log. No `/tmp/pwned` may exist on any host or on this machine.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { stringify } from "yaml";
import { hostExec, readFleet, resetSystems } from "../../fixtures/fleet/index.ts";
import type { PlanInput } from "../../src/plan/schema.ts";
import { looksLikeCrash } from "../support/reliability/bad-input.ts";
import { derivePlan, workloadOf } from "../support/reliability/derived-plan.ts";
import {
  HOSTILE_REPLACEMENT,
  LITERAL_COMMAND,
  LITERAL_COMMAND_OUTPUT,
  ODD_DIR,
  PWNED,
} from "../support/reliability/hostile.ts";
import { applyArgs, runMigrate } from "../support/reliability/migrate-process.ts";
import { runBatch } from "../support/reliability/run-batch.ts";
import { readJournalFile } from "../support/reliability/trial-checks.ts";

const skipReason = inject("e2eSkipReason");
const q = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

type Edit = (plan: PlanInput) => void;
// biome-ignore lint/suspicious/noExplicitAny: the tests build deliberately invalid plans
const portal = (plan: PlanInput) => workloadOf(plan, "portal") as Record<string, any>;

/** Hostile values validation must refuse; `marker` is text of the value on the reported line. */
const REFUSED: { what: string; marker: string; edit: Edit }[] = [
  {
    what: "workload name with ;",
    marker: "portal;touch",
    edit: (p) => {
      portal(p).name = `portal;touch ${PWNED}`;
    },
  },
  {
    what: "service with $()",
    marker: "$(touch",
    edit: (p) => {
      portal(p).services = [`nginx.service $(touch ${PWNED})`];
    },
  },
  {
    what: "service with leading dash",
    marker: "--now",
    edit: (p) => {
      portal(p).services = ["--now"];
    },
  },
  {
    what: "database name with quote",
    marker: "DROP DATABASE",
    edit: (p) => {
      portal(p).databases = [
        { engine: "postgresql", name: "tax'; DROP DATABASE x; --", user: "postgres", port: 5432 },
      ];
    },
  },
  {
    what: "database user with ;",
    marker: "postgres;id",
    edit: (p) => {
      portal(p).databases = [{ engine: "postgresql", name: "tax", user: "postgres;id", port: 5432 }];
    },
  },
  {
    what: "path with newline",
    // YAML writes it as a block scalar: the located line is `- |-`, the text below it.
    marker: "/srv/portal",
    edit: (p) => portal(p).paths.push(`/srv/portal\n${PWNED}`),
  },
  { what: "path with leading dash", marker: "-rf", edit: (p) => portal(p).paths.push("-rf") },
  { what: "path with ..", marker: "/../", edit: (p) => portal(p).paths.push("/srv/portal/../../etc") },
  {
    what: "host name with backticks",
    marker: "`touch",
    edit: (p) => {
      p.sources![2]!.name = `\`touch ${PWNED}\``;
      portal(p).source = `\`touch ${PWNED}\``;
    },
  },
  {
    what: "plan name --help",
    marker: "--help",
    edit: (p) => {
      p.metadata!.name = "--help";
    },
  },
  {
    what: "tenant name with quote",
    marker: "city'egov",
    edit: (p) => {
      p.tenants![0]!.name = "city'egov";
    },
  },
  {
    what: "rewrite file -n",
    marker: "-n",
    edit: (p) => {
      portal(p).rewrite[0].files = ["-n"];
    },
  },
  {
    what: "upstream file $()",
    marker: "$(touch",
    edit: (p) => {
      portal(p).cutover.upstreamFile = `$(touch ${PWNED})`;
    },
  },
  {
    what: "URL host $()",
    marker: "$(touch",
    edit: (p) => portal(p).verify.push({ http: { url: `http://$(touch ${PWNED})/`, status: 200 } }),
  },
  {
    what: "URL as curl option",
    marker: "-o/tmp/pwned",
    edit: (p) => portal(p).verify.push({ http: { url: `-o${PWNED}`, status: 200 } }),
  },
  {
    what: "check host with ;",
    marker: "tgt-1;id",
    edit: (p) => portal(p).verify.push({ command: { host: "tgt-1;id", run: "true" } }),
  },
  {
    what: "key file with newline and ssh option",
    marker: "keyFile",
    edit: (p) => {
      (p.sources![0]!.auth as { keyFile: string }).keyFile = `/root/.ssh/id\n-oProxyCommand=touch ${PWNED}`;
    },
  },
  {
    what: "address as ssh option",
    marker: "-oProxyCommand",
    edit: (p) => {
      p.sources![1]!.address = `-oProxyCommand=touch ${PWNED}`;
    },
  },
  {
    what: "user with space and option",
    marker: "-oProxyCommand",
    edit: (p) => {
      p.sources![1]!.user = "root -oProxyCommand=x";
    },
  },
  {
    what: "gateway with ;",
    marker: "gw;id",
    edit: (p) => {
      portal(p).cutover.gateway = "gw;id";
    },
  },
];

async function pwnedAnywhere(): Promise<string[]> {
  const found: string[] = [];
  for (const host of readFleet().hosts) {
    const result = await hostExec(host.name, `ls -d ${PWNED}* 2>/dev/null || true`);
    if (result.stdout.trim()) found.push(`${host.name}: ${result.stdout.trim()}`);
  }
  if (existsSync(PWNED)) found.push(`this machine: ${PWNED}`);
  return found;
}

describe.skipIf(skipReason !== "")("injection: refused at validation or passed literally", () => {
  const figures = { refused: 0, literal: 0 };
  beforeAll(async () => {
    await resetSystems();
    await hostExec("tgt-1", "systemctl start nginx");
    expect(await pwnedAnywhere()).toEqual([]);
  });
  afterAll(async () => {
    await resetSystems();
    await Promise.all(
      readFleet().hosts.map((h) =>
        hostExec(h.name, `rm -rf ${q(ODD_DIR.split("/").slice(0, 3).join("/"))} /var/tmp/cmd-out`),
      ),
    );
    process.stderr.write(
      `reliability-injection: ${figures.refused} values refused at validation, ${figures.literal} passed literally\n`,
    );
  });

  it(`refuses ${REFUSED.length} hostile values at their line:col, exit 1, without touching a host`, async () => {
    const base = derivePlan({ workloads: ["portal"], name: "injection" });
    const files = REFUSED.map((variant, index) => {
      const plan = structuredClone(base.plan);
      variant.edit(plan);
      const file = join(base.dir, `refused-${index}.yaml`);
      writeFileSync(file, stringify(plan, { lineWidth: 0 }));
      return file;
    });
    const results = await runBatch(
      files.flatMap((file) => [
        ["validate", file],
        ["apply", file, "--yes", "--state-dir", join(base.dir, "s")],
      ]),
    );
    const wrong: string[] = [];
    results.forEach((result, i) => {
      const variant = REFUSED[Math.floor(i / 2)]!;
      const file = files[Math.floor(i / 2)]!;
      const output = result.stdout + result.stderr;
      const at = new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:(\\d+):(\\d+): error: `).exec(
        output,
      );
      // The value starts on the reported line; a block scalar (`|-`) carries it on the next.
      const lines = readFileSync(file, "utf8").split("\n");
      const line = at ? lines.slice(Number(at[1]) - 1, Number(at[1]) + 1).join("\n") : "";
      if (result.code !== 1 || !at || !line.includes(variant.marker) || looksLikeCrash(output))
        wrong.push(
          `${variant.what} (${result.args[0]}): exit ${result.code}, line "${line}": ${output.slice(0, 300)}`,
        );
    });
    expect(wrong).toEqual([]);
    figures.refused += REFUSED.length;
    expect(await pwnedAnywhere()).toEqual([]);
  });

  it("passes a hostile directory name, a file named -rf, a $()-laden rewrite, a command and a URL literally", async () => {
    const odd = `${ODD_DIR}`;
    const conf = `${odd}/app.conf`;
    const gateway = readFleet().hosts.find((h) => h.name === "gw")!.address;
    const original = "db_host = 127.0.11.1\nname = portal\n";
    const setup = await hostExec(
      "portal-src",
      `mkdir -p -- ${q(odd)} && printf 'payload\\n' > ${q(`${odd}/-rf`)} && printf '%s' ${q(original)} > ${q(conf)}`,
    );
    expect(setup.code, setup.stderr).toBe(0);
    const derived = derivePlan({
      workloads: ["portal"],
      name: "injection-literal",
      edit: (plan) => {
        const w = portal(plan);
        w.paths.push(odd);
        w.rewrite.push({ files: [conf], replace: { "127.0.11.1": HOSTILE_REPLACEMENT } });
        w.commands.push(LITERAL_COMMAND);
        // Spaces, quotes and $() in a URL are percent-encoded by URL parsing before curl sees it.
        w.verify.push({
          http: {
            // The gateway of this fleet, whatever its FLEET_NET_BASE (127.0.13.1 only for base 10).
            url: `http://${gateway}/portal/health?q=$(touch ${PWNED}) 'x' \`id\``,
            status: 200,
            from: "tgt-1",
          },
        });
      },
    });
    const run = await runMigrate(applyArgs(derived.planFile, derived.stateDir), { deadlineMs: 150_000 });
    expect(run.code, run.stderr + run.stdout.slice(-2000)).toBe(0);

    // What the target received, read on the target itself.
    const payload = await hostExec("tgt-1", `cat -- ${q(`${odd}/-rf`)}`);
    expect(payload.stdout).toBe("payload\n");
    const rewritten = await hostExec("tgt-1", `cat -- ${q(conf)}`);
    expect(rewritten.stdout).toBe(`db_host = ${HOSTILE_REPLACEMENT}\nname = portal\n`);
    const commandOut = await hostExec("tgt-1", "cat /var/tmp/cmd-out");
    expect(commandOut.stdout).toBe(LITERAL_COMMAND_OUTPUT);
    const access = await hostExec(
      "gw",
      "grep -h 'GET /portal/health?q=' /var/log/nginx/*access*.log | tail -1",
    );
    // URL parsing percent-encoded spaces and quotes; the backticks and $() arrived as bytes.
    expect(access.stdout).toContain(
      'GET /portal/health?q=$(touch%20/tmp/pwned)%20%27x%27%20`id` HTTP/1.1" 200',
    );
    // The source is untouched: the rewrite happened on the target only.
    expect((await hostExec("portal-src", `cat -- ${q(conf)}`)).stdout).toBe(original);
    const journal = readJournalFile(derived.stateDir, derived.planName);
    expect(journal.records.some((r) => r.type === "workload-end" && r.status === "succeeded")).toBe(true);
    figures.literal += 5;
    expect(await pwnedAnywhere()).toEqual([]);
  });
});
