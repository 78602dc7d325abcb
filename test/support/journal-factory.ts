/**
 * TEST DATA: a plan with three bureaus and journal records of two runs, shaped like the engine
 * writes them (src/engine/journal/journal-record.ts). Run 1: a clean move, a transfer that failed after
 * a retry, a verify failure that was rolled back. Run 2: the failed transfer resumed and moved.
 */
import type { JournalRecord } from "../../src/engine/journal/journal-record.ts";
import { Plan } from "../../src/plan/schema.ts";
import type { StepLabel } from "../../src/steps/contracts.ts";
import { OUTPUTS } from "./step-outputs.ts";

const host = (name: string, address: string) => ({
  name,
  address,
  user: "root",
  auth: { agent: true as const },
});
const workload = (name: string, bureau: string, wave: number, extra: Record<string, unknown> = {}) => ({
  name,
  bureau,
  kind: "portal" as const,
  classification: 2,
  zone: "egov-extranet" as const,
  portable: true,
  wave,
  source: `${name}-src`,
  target: `${name}-dst`,
  ...extra,
});

export const factoryPlan: Plan = Plan.parse({
  apiVersion: "migrate/v1",
  kind: "MigrationPlan",
  metadata: { name: "jiaxing-2026", owner: "Jiaxing Big Data Bureau" },
  sources: ["finance-portal", "land-revenue", "housing-fund", "grants-portal"].map((n, i) =>
    host(`${n}-src`, `127.0.9.${i + 1}`),
  ),
  tenants: [
    {
      name: "jx-egov",
      cloud: "jiaxing-cloud",
      zone: "egov-extranet",
      maxClassification: 3,
      arch: "x86_64",
      hosts: ["finance-portal", "land-revenue", "housing-fund", "grants-portal"].map((n, i) =>
        host(`${n}-dst`, `127.0.10.${i + 1}`),
      ),
    },
  ],
  workloads: [
    workload("finance-portal", "finance", 1, { downtimeBudget: "5m" }),
    workload("land-revenue", "finance", 1, { downtimeBudget: "10s", kind: "tax-collection" }),
    workload("housing-fund", 'housing <fund> & "centre"', 1),
    workload("grants-portal", "science-and-technology", 2),
  ],
});

const operator = {
  user: "ops",
  host: "jump-01",
  pid: 4242,
  version: "0.1.0",
  argv: ["apply", "plan.yaml", "--yes"],
};
const GiB = 1024 ** 3;

function t(base: string, seconds: number): string {
  return new Date(Date.parse(base) + seconds * 1000).toISOString();
}

export function factoryRecords(): JournalRecord[] {
  const r1 = "20261205T140000Z-aaaaaa";
  const r2 = "20261206T140000Z-bbbbbb";
  const a = (s: number) => t("2026-12-05T14:00:00.000Z", s);
  const b = (s: number) => t("2026-12-06T14:00:00.000Z", s);
  const base = { v: 1 as const };
  const start = (runId: string, at: string, workload: string, step: string, attempt = 1) =>
    ({
      ...base,
      type: "step-start",
      runId,
      at,
      workload,
      step,
      key: `${workload}/${step}`,
      attempt,
      inputHash: "ih",
    }) as JournalRecord;
  const finish = (
    runId: string,
    at: string,
    workload: string,
    step: StepLabel,
    durationMs: number,
    outputs: Record<string, unknown> = {},
  ) =>
    ({
      ...base,
      type: "step-finish",
      runId,
      at,
      workload,
      step,
      key: `${workload}/${step}`,
      inputHash: "ih",
      durationMs,
      // Whatever a case leaves out is the contract's sample: readers only ever see whole outputs.
      outputs: { ...OUTPUTS[step], ...outputs },
    }) as JournalRecord;
  return [
    {
      ...base,
      type: "run-start",
      runId: r1,
      at: a(0),
      planFile: "plan.yaml",
      planName: "jiaxing-2026",
      planHash: "ph1",
      workloadHashes: {},
      command: "apply",
      operator,
    },
    start(r1, a(1), "finance-portal", "snapshot"),
    finish(r1, a(4), "finance-portal", "snapshot", 3000, {
      manifestDigest: "9f2c41d0",
      hash: "sha256",
      files: 120,
    }),
    start(r1, a(4), "finance-portal", "transfer"),
    finish(r1, a(64), "finance-portal", "transfer", 60_000, {
      bytesSent: 2 * GiB,
      filesSent: 120,
    }),
    start(r1, a(64), "finance-portal", "reconfigure"),
    finish(r1, a(66), "finance-portal", "reconfigure", 2000),
    start(r1, a(66), "finance-portal", "cutover"),
    finish(r1, a(70), "finance-portal", "cutover", 4000, {
      frozenAt: a(66),
      manifestDigest: "9f2c41d0",
      delta: { filesSent: 2, bytesSent: 4096 },
    }),
    start(r1, a(70), "finance-portal", "verify"),
    finish(r1, a(72), "finance-portal", "verify", 2000, {
      checks: [
        { name: "http http://gw/finance/health", ok: true, detail: "200" },
        { name: "rowCount land.payments", ok: true, detail: "1200 = 1200" },
      ],
      manifestDigest: "9f2c41d0",
      targetManifestDigest: "9f2c41d0",
    }),
    {
      ...base,
      type: "workload-end",
      runId: r1,
      at: a(72),
      workload: "finance-portal",
      status: "succeeded",
      downtimeMs: 6000,
      downtimeBudgetMs: 300_000,
      budgetExceeded: false,
    },
    start(r1, a(1), "land-revenue", "snapshot"),
    finish(r1, a(2), "land-revenue", "snapshot", 1000, { manifestDigest: "77aa", hash: "sm3" }),
    start(r1, a(2), "land-revenue", "transfer"),
    {
      ...base,
      type: "step-fail",
      runId: r1,
      at: a(10),
      workload: "land-revenue",
      step: "transfer",
      key: "land-revenue/transfer",
      attempt: 1,
      willRetry: true,
      error: {
        kind: "unreachable",
        message: "connection reset by peer",
        retryable: true,
        host: "land-revenue-dst",
      },
    },
    start(r1, a(12), "land-revenue", "transfer", 2),
    {
      ...base,
      type: "step-fail",
      runId: r1,
      at: a(20),
      workload: "land-revenue",
      step: "transfer",
      key: "land-revenue/transfer",
      attempt: 2,
      willRetry: false,
      error: {
        kind: "remote",
        message: "rsync exited 23 | partial transfer",
        retryable: false,
        host: "land-revenue-dst",
        command: "rsync ...",
      },
    },
    {
      ...base,
      type: "workload-end",
      runId: r1,
      at: a(20),
      workload: "land-revenue",
      status: "failed",
      reason: "transfer: rsync exited 23",
    },
    start(r1, a(1), "housing-fund", "snapshot"),
    finish(r1, a(3), "housing-fund", "snapshot", 2000, { manifestDigest: "5151", hash: "sha256" }),
    start(r1, a(3), "housing-fund", "transfer"),
    finish(r1, a(13), "housing-fund", "transfer", 10_000, { bytesSent: 300 * 1024 * 1024, filesSent: 40 }),
    start(r1, a(13), "housing-fund", "cutover"),
    finish(r1, a(15), "housing-fund", "cutover", 2000),
    start(r1, a(15), "housing-fund", "verify"),
    {
      ...base,
      type: "step-fail",
      runId: r1,
      at: a(17),
      workload: "housing-fund",
      step: "verify",
      key: "housing-fund/verify",
      attempt: 1,
      willRetry: false,
      error: {
        kind: "verify",
        message: "http://gw/housing/health returned 502",
        retryable: false,
        hint: "check the target's application log | then apply again",
      },
    },
    start(r1, a(17), "housing-fund", "rollback"),
    finish(r1, a(21), "housing-fund", "rollback", 4000),
    {
      ...base,
      type: "workload-end",
      runId: r1,
      at: a(21),
      workload: "housing-fund",
      status: "rolled-back",
      reason: "verify failed",
      downtimeMs: 8000,
    },
    { ...base, type: "run-end", runId: r1, at: a(72), status: "failed" },
    {
      ...base,
      type: "run-start",
      runId: r2,
      at: b(0),
      planFile: "plan.yaml",
      planName: "jiaxing-2026",
      planHash: "ph1",
      workloadHashes: {},
      command: "apply",
      operator: { ...operator, user: "li.wei" },
    },
    start(r2, b(1), "land-revenue", "transfer", 1),
    finish(r2, b(31), "land-revenue", "transfer", 30_000, { bytesSent: 1 * GiB, filesSent: 10 }),
    start(r2, b(31), "land-revenue", "cutover"),
    finish(r2, b(45), "land-revenue", "cutover", 14_000),
    start(r2, b(45), "land-revenue", "verify"),
    finish(r2, b(46), "land-revenue", "verify", 1000, {
      checks: [{ name: "tcp land-revenue-dst:5432", ok: true }],
    }),
    {
      ...base,
      type: "workload-end",
      runId: r2,
      at: b(46),
      workload: "land-revenue",
      status: "succeeded",
      downtimeMs: 15_000,
      downtimeBudgetMs: 10_000,
      budgetExceeded: true,
    },
    { ...base, type: "run-end", runId: r2, at: b(46), status: "succeeded" },
  ];
}
