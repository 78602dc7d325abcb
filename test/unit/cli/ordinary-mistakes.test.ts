/**
 * Ordinary mistakes with paths and hosts, as an operator makes them with the real `bin/migrate`:
 * each ends in one paragraph naming the flag and path, with a hint and a documented exit code,
 * never "internal error" with a stack; and before anything is contacted or changed.
 */
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../../../src/exit-codes.ts";

const root = join(import.meta.dirname, "../../..");
const bin = join(root, "bin/migrate");
const FINANCE = "plans/henan-finance.yaml";
const CHILD_TIMEOUT_MS = 90_000;
const scratch = mkdtempSync(join(tmpdir(), "migrate-mistakes-"));

function migrate(args: string[], env: Record<string, string> = {}) {
  return execa(bin, args, { cwd: root, reject: false, env, timeout: 60_000 });
}

/** stderr is exactly these lines: the error paragraph and its hint, no stack. */
function expectUserError(r: { exitCode?: number; stderr: string }, code: number, lines: string[]) {
  expect(r.stderr).toBe(lines.join("\n"));
  expect(r.exitCode).toBe(code);
}

describe("paths given on the command line", { timeout: CHILD_TIMEOUT_MS }, () => {
  it("report --out into a directory that does not exist", async () => {
    expectUserError(await migrate(["report", FINANCE, "--out", "/nonexistent/x.md"]), ExitCode.usage, [
      "migrate: error: --out /nonexistent/x.md: the directory /nonexistent does not exist",
      "  hint: create the directory first (mkdir -p /nonexistent) or choose another path",
    ]);
  });

  it("report --out naming a directory", async () => {
    expectUserError(await migrate(["report", FINANCE, "--out", scratch]), ExitCode.usage, [
      `migrate: error: --out ${scratch} is a directory, not a file`,
      `  hint: name a file in it, e.g. --out ${join(scratch, "report.md")}`,
    ]);
  });

  it("inventory --out into a missing directory, refused before any host is contacted", async () => {
    // The plan's hosts are RFC 1918 addresses: contacting them first would take the 15 s connect
    // timeout beyond what starting migrate and reading the plan cost (the baseline).
    let started = Date.now();
    await migrate(["validate", FINANCE]);
    const baseline = Date.now() - started;
    started = Date.now();
    const r = await migrate(["inventory", FINANCE, "--out", "/nonexistent/inv.json"]);
    expectUserError(r, ExitCode.usage, [
      "migrate: error: --out /nonexistent/inv.json: the directory /nonexistent does not exist",
      "  hint: create the directory first (mkdir -p /nonexistent) or choose another path",
    ]);
    expect(Date.now() - started - baseline).toBeLessThan(15_000);
  });

  it("status --state-dir naming a file", async () => {
    expectUserError(await migrate(["status", FINANCE, "--state-dir", "README.md"]), ExitCode.usage, [
      "migrate: error: --state-dir README.md is a file, not a directory",
      "  hint: pass the directory that holds the plan's state (default: .migrate/ beside the plan)",
    ]);
  });

  it("status --state-dir with a typo, instead of a silent 'never applied'", async () => {
    expectUserError(await migrate(["status", FINANCE, "--state-dir", "/typo"]), ExitCode.usage, [
      "migrate: error: --state-dir /typo: the directory /typo does not exist",
      `  hint: check the path; \`migrate apply\` creates it on its first run, and without --state-dir the state is ${join(root, "plans", ".migrate")}`,
    ]);
  });

  it("apply --state-dir where nothing can be created ends at once instead of spinning", async () => {
    expectUserError(await migrate(["apply", FINANCE, "--yes", "--state-dir", "/proc/foo"]), ExitCode.usage, [
      "migrate: error: --state-dir /proc/foo: cannot use /proc/foo: this file system does not allow creating it",
      "  hint: choose a path this user can write, or fix the permissions",
    ]);
  });

  it("--json with a different --output is refused, and --json is --output json", async () => {
    expectUserError(await migrate(["plan", FINANCE, "--json", "--output", "plain"]), ExitCode.usage, [
      "migrate: error: --json and --output plain ask for different output formats",
      "  hint: --json is short for --output json; pass only one of them",
    ]);
    const state = mkdtempSync(join(scratch, "state-"));
    const [json, output] = await Promise.all([
      migrate(["status", FINANCE, "--state-dir", state, "--json"]),
      migrate(["status", FINANCE, "--state-dir", state, "--output", "json"]),
    ]);
    expect(json.exitCode).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(output.stdout));
  });
});

describe("logs --output json", { timeout: CHILD_TIMEOUT_MS }, () => {
  it("prints the kept entries as the NDJSON lines they are; --json is the same", async () => {
    const state = mkdtempSync(join(scratch, "logs-"));
    const run = join(state, "henan-finance-2026", "runs", "20261201T000000Z-aaaaaa");
    mkdirSync(run, { recursive: true });
    const entries = [
      { level: "info", time: "2026-12-01T00:00:00.000Z", msg: "run-start", event: "run-start" },
      { level: "error", time: "2026-12-01T00:00:01.000Z", msg: "step-fail", workload: "finance-portal" },
    ].map((entry) => JSON.stringify(entry));
    writeFileSync(join(run, "log.ndjson"), `${entries.join("\n")}\n`);
    const [output, json] = await Promise.all([
      migrate(["logs", FINANCE, "--state-dir", state, "--level", "error", "--output", "json"]),
      migrate(["logs", FINANCE, "--state-dir", state, "--level", "error", "--json"]),
    ]);
    expect(output.exitCode).toBe(0);
    expect(output.stdout).toBe(entries[1]);
    expect(json.stdout).toBe(entries[1]);
  });
});

const UNREACHABLE_PLAN = `apiVersion: migrate/v1
kind: MigrationPlan
metadata: { name: unreachable-hosts, owner: Test Bureau }
defaults: { timezone: Asia/Shanghai, retries: 1 }
sources:
  - { name: src-bastion, address: 127.0.0.1, port: 1, user: root, auth: { agent: true } }
  - { name: src-app, address: 10.1.0.11, user: root, auth: { agent: true }, via: src-bastion }
tenants:
  - name: cloud-x86
    cloud: test-cloud
    zone: egov-extranet
    maxClassification: 3
    arch: x86_64
    hosts:
      - { name: tgt-app, address: 127.0.0.1, port: 1, user: root, auth: { agent: true } }
workloads:
  - name: web-portal
    bureau: culture
    kind: portal
    classification: 2
    zone: internet
    portable: true
    wave: 1
    source: src-app
    target: tgt-app
    window: { start: "2026-12-05T22:00+08:00", end: "2036-12-06T02:00+08:00" }
    paths: [/var/www/portal]
    verify: [{ tcp: { host: tgt-app, port: 80 } }]
`;

describe("apply when no host can be reached", { timeout: CHILD_TIMEOUT_MS }, () => {
  it("fails fast with the connection-failure code, one line per host, and the report says it stopped in preflight", async () => {
    const plan = join(scratch, "unreachable.yaml");
    writeFileSync(plan, UNREACHABLE_PLAN);
    const state = mkdtempSync(join(scratch, "state-"));
    // What starting migrate and reading this plan cost on this machine now (seconds when the
    // machine is loaded): the baseline apply's own time is measured against.
    let started = Date.now();
    expect((await migrate(["validate", plan])).exitCode).toBe(0);
    const baseline = Date.now() - started;
    started = Date.now();
    // Port 1 on loopback refuses at once; the agent is never asked.
    const r = await migrate(["apply", plan, "--yes", "--output", "plain", "--state-dir", state], {
      SSH_AUTH_SOCK: "/nonexistent/agent.sock",
    });
    // Fast: a refused connection is not waited on until the 15 s connect timeout.
    expect(Date.now() - started - baseline).toBeLessThan(15_000);
    expect(r.exitCode).toBe(ExitCode.unreachable);
    const error = r.stderr.slice(r.stderr.indexOf("migrate: error:"));
    expect(error).toBe(
      [
        "migrate: error: preflight: none of the 3 hosts can be reached; nothing was changed:",
        "  src-bastion  (127.0.0.1:1) is unreachable: ECONNREFUSED",
        "  src-app      not checked: reached through src-bastion, which failed",
        "  tgt-app      (127.0.0.1:1) is unreachable: ECONNREFUSED",
        "  hint (src-bastion, tgt-app): check the address, port, firewall and (for hosts behind a bastion) the via host",
        "  hint: fix every host listed above, then run the same command again",
      ].join("\n"),
    );
    // Said once: the run's log line names only the headline.
    expect(r.stderr.match(/not checked/g)).toHaveLength(1);

    const report = await migrate(["report", plan, "--state-dir", state]);
    expect(report.exitCode).toBe(0);
    expect(report.stdout).toContain(
      "| Systems moved | none: stopped in preflight, before any step; nothing was changed |",
    );
    expect(report.stdout).toContain("### Stopped before any step");
    expect(report.stdout).toContain("  src-app      not checked: reached through src-bastion, which failed");
    expect(report.stdout).not.toContain("### Failures");
  });
});

describe("two plan files with the same metadata.name", { timeout: CHILD_TIMEOUT_MS }, () => {
  it("do not share one journal: the second is refused until the first is gone (moved or renamed)", async () => {
    const dir = mkdtempSync(join(scratch, "twins-"));
    const [first, second] = [join(dir, "culture.yaml"), join(dir, "culture-copy.yaml")];
    writeFileSync(first, UNREACHABLE_PLAN);
    writeFileSync(second, UNREACHABLE_PLAN.replace("bureau: culture", "bureau: sports"));
    const env = { SSH_AUTH_SOCK: "/nonexistent/agent.sock" };
    const apply = (plan: string) => migrate(["apply", plan, "--yes", "--output", "plain"], env);
    // The first plan's run is journaled (its preflight fails: nothing listens on port 1).
    expect((await apply(first)).exitCode).toBe(ExitCode.unreachable);

    const refused = await apply(second);
    expectUserError(refused, ExitCode.locked, [
      `migrate: error: the state ${join(dir, ".migrate", "unreachable-hosts")} belongs to another plan file with the same metadata.name "unreachable-hosts": ${first} (this is ${second}); sharing it would resume one plan's steps with the other`,
      "  hint: give one of the two plans another metadata.name, or run this one with its own --state-dir",
    ]);
    const dryRun = await migrate(["plan", second]);
    expect(dryRun.exitCode).toBe(0);
    expect(dryRun.stderr).toContain(
      `warning: apply would refuse to resume: the state ${join(dir, ".migrate", "unreachable-hosts")} belongs to another plan file`,
    );

    // Renamed: the old path is gone, so it is the same plan moved, and it continues.
    renameSync(first, join(dir, "culture-old.yaml.bak"));
    expect((await apply(second)).exitCode).toBe(ExitCode.unreachable);
  });
});
