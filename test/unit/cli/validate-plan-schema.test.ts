/**
 * The validate, plan and schema commands as a user runs them: the real `bin/migrate` in a child
 * process, checking stdout, stderr and exit codes.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { journalPath } from "../../../src/engine/journal/state-dir.ts";
import { workloadFieldHashes, workloadInputHash } from "../../../src/engine/planning/input-hash.ts";
import { loadPlanOrThrow } from "../../../src/plan/load.ts";
import { STEPS, type StepName } from "../../../src/steps/names.ts";
import { OUTPUTS } from "../../support/step-outputs.ts";

const root = join(import.meta.dirname, "../../..");
const bin = join(root, "bin/migrate");
const migrate = (...args: string[]) => execa(bin, args, { cwd: root, reject: false });
const FINANCE = "plans/henan-finance.yaml";
/** Each test starts up to three CLI processes; on a busy CI machine one can take seconds. */
const CHILD_TIMEOUT_MS = 90_000;
const BAD = "fixtures/plans/invalid/85-many-errors-one-pass.yaml";

describe("migrate validate", { timeout: CHILD_TIMEOUT_MS }, () => {
  it("exits 0 for valid plans", async () => {
    const r = await migrate("validate", "plans/henan-finance.yaml", "plans/guizhou-fda-licensing.yaml");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("plans/henan-finance.yaml: valid");
  });

  it("exits 1 with every error located, and no stack trace", async () => {
    const r = await migrate("validate", BAD, FINANCE);
    expect(r.exitCode).toBe(1);
    const lines = r.stdout.split("\n").filter((l) => l.includes(": error: "));
    expect(lines).toHaveLength(3);
    for (const line of lines)
      expect(line).toMatch(/^fixtures\/plans\/invalid\/85-many-errors-one-pass\.yaml:\d+:\d+: error: /);
    expect(r.stdout).toContain("plans/henan-finance.yaml: valid");
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/\n\s+at /);
  });

  it("prints versioned JSON diagnostics with --json", async () => {
    const r = await migrate("validate", "--json", BAD);
    expect(r.exitCode).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ version: 1, valid: false, files: [{ file: BAD, valid: false, errors: 3 }] });
    expect(doc.files[0].diagnostics[0]).toMatchObject({
      severity: "error",
      code: "invalid-value",
      line: expect.any(Number),
      column: expect.any(Number),
    });
  });

  it("prints GitHub annotations with --output github", async () => {
    const r = await migrate("validate", "--output", "github", BAD);
    expect(r.stdout).toMatch(
      /^::error file=fixtures\/plans\/invalid\/85-many-errors-one-pass\.yaml,line=\d+,col=\d+/m,
    );
  });

  it("checks CPU architecture against --inventory facts", async () => {
    const plan = "fixtures/plans/invalid/70-arch-non-portable.yaml";
    expect((await migrate("validate", plan)).exitCode).toBe(1);
    const dir = mkdtempSync(join(tmpdir(), "migrate-inventory-"));
    const facts = join(dir, "inventory.json");
    writeFileSync(facts, JSON.stringify({ hosts: { "src-app-01": { arch: "aarch64" } } }));
    const r = await migrate("validate", plan, "--inventory", facts);
    expect(r.stdout).toContain(`${plan}: valid`);
    expect(r.exitCode).toBe(0);
    writeFileSync(facts, JSON.stringify({ hosts: { "src-app-01": { arch: 64 } } }));
    const bad = await migrate("validate", plan, "--inventory", facts);
    expect(bad.exitCode).toBe(64);
    expect(bad.stderr).toMatch(/^migrate: error: inventory .* is malformed at hosts\.src-app-01\.arch/);
  });

  it("reports a missing file as a located error, not a crash", async () => {
    const r = await migrate("validate", "no/such/plan.yaml");
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain("no/such/plan.yaml:1:1: error: cannot read plan: no such file");
  });
});

describe("migrate plan", { timeout: CHILD_TIMEOUT_MS }, () => {
  it("exits 0 for a valid plan with work pending (2 only with --detailed-exitcode) and prints the overview first, actions only with --verbose", async () => {
    const state = mkdtempSync(join(tmpdir(), "migrate-plan-"));
    const detailed = await migrate("plan", FINANCE, "--state-dir", state, "--detailed-exitcode");
    expect(detailed.exitCode).toBe(2);
    const r = await migrate("plan", FINANCE, "--state-dir", state);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(detailed.stdout);
    expect(r.stdout).toContain(
      "Wave 2 · 1 workload · 5 steps pending · window 2027-12-04 22:00 – 2027-12-05 04:00 +08:00\n" +
        "  WORKLOAD        BUREAU   TENANT             BUDGET  STEPS\n" +
        "  land-revenue    finance  zhongyuan-finance  45m     5\n",
    );
    expect(r.stdout).not.toContain("dump postgresql database");
    expect(r.stdout).toContain("Nothing was executed");
    // Piped: no colour, no wrapping.
    expect(r.stdout).not.toContain("\u001b[");

    const verbose = await migrate("plan", FINANCE, "--state-dir", state, "--verbose");
    expect(verbose.exitCode).toBe(0);
    expect(verbose.stdout).toContain(
      "land-revenue (finance, tax-collection, MLPS 3, egov-extranet, after finance-portal)",
    );
    expect(verbose.stdout).toContain(
      "replicate postgresql database land_revenue fin-app-01 -> zy-fin-app-01 (preflight): check on both hosts that it can replicate",
    );
    expect(verbose.stdout).toContain(
      "[undo: point /etc/nginx/conf.d/land-revenue.upstream on fin-gw-01 back to 10.20.1.12:8080 and reload]",
    );
  });

  it("shows windows in the plan's time zone, whatever offset they were written with", async () => {
    const dir = mkdtempSync(join(tmpdir(), "migrate-plan-tz-"));
    const file = join(dir, "plan.yaml");
    writeFileSync(
      file,
      readFileSync(join(root, FINANCE), "utf8").replace("timezone: Asia/Shanghai", "timezone: Europe/Berlin"),
    );
    const r = await migrate("plan", file, "--wave", "2", "--verbose");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("Times in Europe/Berlin\n");
    expect(r.stdout).toContain("window 2027-12-04 15:00 – 21:00 +01:00");
    expect(r.stdout).toContain("    cutover (in window 2027-12-04 15:00 – 21:00 +01:00)\n");
    expect(r.stdout).not.toContain("Wave 1 ·");
  });

  it("refuses a wave the plan does not have, naming the waves it has", async () => {
    const r = await migrate("plan", FINANCE, "--wave", "7");
    expect(r.exitCode).toBe(64);
    expect(r.stderr).toContain("plan henan-finance-2026 has no wave 7");
    expect(r.stderr).toContain("its waves are 1, 2");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect((await migrate("plan", FINANCE, "--wave", "two")).exitCode).toBe(64);
  });

  it("prints the versioned run plan with --json", async () => {
    const r = await migrate(
      "plan",
      "--json",
      FINANCE,
      "--state-dir",
      mkdtempSync(join(tmpdir(), "migrate-plan-")),
    );
    expect(r.exitCode).toBe(0);
    const run = JSON.parse(r.stdout);
    expect(run.version).toBe(1);
    expect(run.plan.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("shows only what the journal says remains, and exits 0 when nothing does", async () => {
    const { plan } = await loadPlanOrThrow(join(root, FINANCE));
    const hashOf = (name: string) =>
      workloadInputHash(workloadFieldHashes(plan, plan.workloads.find((w) => w.name === name)!));
    const state = mkdtempSync(join(tmpdir(), "migrate-plan-"));
    const journal = journalPath(state, "henan-finance-2026");
    mkdirSync(join(journal, ".."), { recursive: true });
    const finish = (workload: string, step: StepName, inputHash = hashOf(workload)) =>
      JSON.stringify({
        v: 1,
        type: "step-finish",
        runId: "r1",
        at: "2026-11-28T14:00:00Z",
        workload,
        step,
        key: `${workload}/${step}`,
        inputHash,
        durationMs: 1,
        outputs: OUTPUTS[step],
      });
    writeFileSync(journal, `${STEPS.map((s) => finish("finance-portal", s)).join("\n")}\n`);
    const partial = await migrate("plan", FINANCE, "--state-dir", state, "--detailed-exitcode");
    expect(partial.exitCode).toBe(2);
    expect(partial.stdout).toContain("Wave 1 · done · 1 workload\n");
    expect(partial.stdout).not.toContain("finance-portal (finance");
    expect(partial.stdout).toContain("5 already done");
    expect(partial.stderr).toBe("");

    writeFileSync(
      journal,
      `${[...STEPS.map((s) => finish("finance-portal", s)), ...STEPS.map((s) => finish("land-revenue", s))].join("\n")}\n`,
    );
    const done = await migrate("plan", FINANCE, "--state-dir", state, "--detailed-exitcode");
    expect(done.exitCode).toBe(0);
    expect(done.stdout).toContain("Nothing to do: all 2 workloads are done.");
  });

  it("warns when apply would refuse to resume because the plan changed under finished steps", async () => {
    const state = mkdtempSync(join(tmpdir(), "migrate-plan-"));
    const journal = journalPath(state, "henan-finance-2026");
    mkdirSync(join(journal, ".."), { recursive: true });
    const record = {
      v: 1,
      type: "step-finish",
      runId: "r1",
      at: "2026-11-28T14:00:00Z",
      workload: "finance-portal",
    };
    const stale = {
      ...record,
      step: "snapshot",
      key: "finance-portal/snapshot",
      inputHash: "stale",
      durationMs: 1,
      outputs: OUTPUTS.snapshot,
    };
    writeFileSync(journal, `${JSON.stringify(stale)}\n`);
    const r = await migrate("plan", FINANCE, "--state-dir", state);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(
      "warning: apply would refuse to resume: the plan changed under steps that already finished: finance-portal",
    );
  });

  it("exits 1 on an invalid plan with the located errors and no stack trace", async () => {
    const r = await migrate("plan", BAD);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(
      /^migrate: error: fixtures\/plans\/invalid\/85-many-errors-one-pass\.yaml:\d+:\d+: error: /,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("migrate schema", { timeout: CHILD_TIMEOUT_MS }, () => {
  it("prints the committed JSON Schema", async () => {
    const r = await migrate("schema");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(root, "schema/plan.schema.json"), "utf8").trimEnd());
  });
});
