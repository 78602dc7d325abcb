import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatLog } from "../../../src/log/pretty.ts";
import { createRunLog } from "../../../src/log/run-log.ts";
import { REDACTED, Scrubber, scrubberForPlan, secretEnvNames } from "../../../src/log/scrub.ts";
import { Plan } from "../../../src/plan/schema.ts";
import { palette } from "../../../src/render/colour.ts";

const at = "2026-12-05T14:00:00.000Z";

function readLines(file: string): Record<string, unknown>[] {
  return readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
}

describe("scrubber", () => {
  const scrub = new Scrubber(["hunter2-pass", "s3cr3t-db"]);

  it("removes known secret values wherever they appear", () => {
    expect(scrub.text("ssh -o Pass=hunter2-pass x; psql 's3cr3t-db'")).toBe(
      `ssh -o Pass=${REDACTED} x; psql '${REDACTED}'`,
    );
  });

  it("removes secret shapes: PEM keys, PASSWORD=, bearer tokens, URL credentials", () => {
    const pem = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----";
    expect(scrub.text(`key: ${pem} end`)).toBe(`key: ${REDACTED} private key end`);
    expect(scrub.text("PGPASSWORD=abc123 psql -c 'select 1'")).toBe(
      `PGPASSWORD=${REDACTED} psql -c 'select 1'`,
    );
    expect(scrub.text("Authorization: Bearer eyJhbGciOi")).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(scrub.text("http://admin:pw123@gw/health")).toBe(`http://admin:${REDACTED}@gw/health`);
  });

  it("censors secret-named fields at any depth but keeps references (keyFile, passwordEnv)", () => {
    const out = scrub.value({
      auth: { keyFile: "~/.ssh/id", passphraseEnv: "FIN_KEY_PASS", passphrase: "x" },
      db: [{ password: "pw", passwordEnv: "DB_PASS" }],
      headers: { Authorization: "Basic abc" },
      privateKey: "---",
    });
    expect(out).toEqual({
      auth: { keyFile: "~/.ssh/id", passphraseEnv: "FIN_KEY_PASS", passphrase: REDACTED },
      db: [{ password: REDACTED, passwordEnv: "DB_PASS" }],
      headers: { Authorization: REDACTED },
      privateKey: REDACTED,
    });
  });

  it("takes its values from the env vars the plan names", () => {
    const plan = Plan.parse({
      apiVersion: "migrate/v1",
      kind: "MigrationPlan",
      metadata: { name: "p", owner: "o" },
      sources: [
        { name: "s", address: "127.0.0.1", user: "root", auth: { keyFile: "k", passphraseEnv: "KEY_PASS" } },
      ],
      workloads: [
        {
          name: "w",
          bureau: "b",
          kind: "generic",
          classification: 2,
          zone: "internet",
          wave: 1,
          source: "s",
          target: "s",
          databases: [{ engine: "postgresql", name: "d", passwordEnv: "DB_PASS" }],
        },
      ],
    });
    expect(secretEnvNames(plan).sort()).toEqual(["DB_PASS", "KEY_PASS"]);
    const scrubber = scrubberForPlan(plan, { KEY_PASS: "open-sesame", DB_PASS: "pg-pass-1" });
    expect(scrubber.text("echo open-sesame pg-pass-1")).toBe(`echo ${REDACTED} ${REDACTED}`);
  });
});

describe("run log", () => {
  it("opens <runDir>/log.ndjson at run-start, keeps earlier lines, audits commands, scrubs secrets", () => {
    const dir = mkdtempSync(join(tmpdir(), "migrate-log-"));
    const log = createRunLog({
      runDir: (runId) => join(dir, "runs", runId),
      scrubber: new Scrubber(["hunter2-pass"]),
      plan: "demo",
    });
    log.step("w", "snapshot").warn("before the run started");
    log.onEvent({ type: "run-start", runId: "r1", plan: "demo", planHash: "h", workloads: 1, at });
    log.onCommand({
      host: "fin-app-01",
      command: "PGPASSWORD=hunter2-pass pg_dump land",
      exitCode: 0,
      signal: null,
      durationMs: 120,
      bytesIn: 2048,
      bytesOut: 0,
      timedOut: false,
      canceled: false,
    });
    log.onEvent({
      type: "step-progress",
      workload: "w",
      step: "transfer",
      bytesDone: 1,
      bytesTotal: 2,
      filesDone: 0,
      filesTotal: 1,
      rateBps: 1,
      at,
    });
    log.onEvent({
      type: "step-fail",
      workload: "w",
      step: "verify",
      kind: "verify",
      message: "502",
      retryable: false,
      attempt: 1,
      willRetry: false,
      at,
    });
    log.step("w", "verify").info("token seen", { token: "abc", password: "hunter2-pass" });
    log.onEvent({ type: "log", level: "warn", message: "slow host", workload: "w", at });
    log.close();

    expect(log.file).toBe(join(dir, "runs", "r1", "log.ndjson"));
    const text = readFileSync(log.file!, "utf8");
    expect(text).not.toContain("hunter2-pass");
    const lines = readLines(log.file!);
    expect(lines.map((l) => l.msg)).toEqual([
      "before the run started",
      "run-start",
      "remote command",
      "step-fail",
      "token seen",
      "slow host",
    ]);
    expect(lines.every((l) => l.runId === "r1" && typeof l.time === "string")).toBe(true);
    expect(lines[0]).toMatchObject({ level: "warn", workload: "w", step: "snapshot" });
    expect(lines[2]).toMatchObject({
      level: "info",
      event: "remote-command",
      host: "fin-app-01",
      command: `PGPASSWORD=${REDACTED} pg_dump land`,
      exitCode: 0,
      durationMs: 120,
      bytesIn: 2048,
      bytesOut: 0,
    });
    expect(lines[3]).toMatchObject({ level: "error", workload: "w", step: "verify" });
    expect(lines[4]).toMatchObject({ token: REDACTED, password: REDACTED });
    expect(lines[5]).toMatchObject({ level: "warn", event: "log", workload: "w" });

    const pretty = formatLog(text, palette(false)).split("\n");
    expect(pretty[0]).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \+00:00 {2}WARN {3}w snapshot {2}before the run started$/,
    );
    const audit = pretty.findIndex((line) => line.includes("remote command"));
    expect(pretty[audit]).toMatch(
      /INFO {3}fin-app-01 {2}remote command {2}exit 0 {2}120 ms {2}in 2\.00 KiB out 0 B/,
    );
    expect(pretty[audit + 1]).toBe(`    $ PGPASSWORD=${REDACTED} pg_dump land`);
  });
});

describe("a run log kept elsewhere (a runner's workload in the shared state)", () => {
  it("writes every line, scrubbed as the file is, to the destination from the start, and closes it", async () => {
    const written: string[] = [];
    let closed = false;
    const log = createRunLog({
      shared: {
        runId: "run-7",
        destination: {
          write: (chunk) => written.push(chunk),
          close: async () => {
            closed = true;
          },
        },
      },
      scrubber: new Scrubber(["s3cr3t-db"]),
      plan: "p",
    });
    log.step("tax", "transfer").warn("dump used PGPASSWORD=s3cr3t-db", { password: "pw" });
    log.onCommand({
      host: "tax-src",
      command: "psql 's3cr3t-db'",
      exitCode: 0,
      signal: null,
      durationMs: 3,
      bytesIn: 0,
      bytesOut: 0,
      timedOut: false,
      canceled: false,
    });
    await log.close();
    expect(closed).toBe(true);
    expect(log.file).toBeUndefined();
    const lines = written
      .join("")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines).toMatchObject([
      { level: "warn", runId: "run-7", plan: "p", workload: "tax", step: "transfer", password: REDACTED },
      { level: "info", event: "remote-command", host: "tax-src", command: `psql '${REDACTED}'` },
    ]);
    expect(written.join("")).not.toContain("s3cr3t-db");
  });
});
