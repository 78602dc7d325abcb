/**
 * Helpers for the pipeline e2e tests: run the real `migrate apply` on a copy of the fleet plan,
 * read its journal, and look at hosts directly (inside their namespaces, not through migrate).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { parse, stringify } from "yaml";
import { hostExec, readFleet, resetSystems } from "../../../fixtures/fleet/index.ts";
import type { JournalRecord } from "../../../src/engine/journal/journal-record.ts";
import type { PlanInput } from "../../../src/plan/schema.ts";

const REPO = join(import.meta.dirname, "../../..");

export type PlanEdit = (plan: PlanInput) => void;

/** A private copy of the fleet plan (optionally edited) and a fresh state directory. */
export function preparePlan(edit?: PlanEdit): { planFile: string; stateDir: string } {
  const dir = mkdtempSync(join(tmpdir(), "pipeline-"));
  const plan = parse(readFileSync(readFleet().planFile, "utf8")) as PlanInput;
  edit?.(plan);
  const planFile = join(dir, "plan.yaml");
  writeFileSync(planFile, stringify(plan, { lineWidth: 0 }));
  return { planFile, stateDir: join(dir, "state") };
}

export function apply(
  planFile: string,
  stateDir: string,
  extra: string[] = [],
  env: Record<string, string> = {},
): ResultPromise<{ reject: false; cwd: string; env: Record<string, string> }> {
  return execa(
    join(REPO, "bin/migrate"),
    ["apply", planFile, "--yes", "--state-dir", stateDir, "--output", "json", ...extra],
    {
      reject: false,
      cwd: REPO,
      env,
    },
  );
}

/** Apply of one workload while `writer` (a load generator already started) keeps writing; the load stops after. */
export async function applyUnderLoad<Load>(
  writer: { stop(): Promise<Load> },
  edit: PlanEdit,
  workload: string,
) {
  const prepared = preparePlan(edit);
  const result = await apply(prepared.planFile, prepared.stateDir, ["--only", workload]);
  return { ...prepared, exitCode: result.exitCode, stderr: String(result.stderr), load: await writer.stop() };
}

export function journal(stateDir: string): JournalRecord[] {
  const text = readFileSync(join(stateDir, "fleet-city-bureaus", "journal.jsonl"), "utf8");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as JournalRecord);
}

export function finished(records: JournalRecord[], key: string): Record<string, unknown> | undefined {
  const record = records.filter((r) => r.type === "step-finish" && r.key === key).at(-1);
  return record?.type === "step-finish" ? record.outputs : undefined;
}

export async function sh(
  host: string,
  command: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const result = await hostExec(host, command, { timeoutMs: 60_000 });
  return { code: result.code ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Seeded state, plus the targets' nginx running: a rollback stops the target's services (here
 * nginx on tgt-1), and the fleet reset keeps runtimes as they are rather than starting them.
 */
export async function resetFleet(): Promise<void> {
  await resetSystems();
  for (const host of ["tgt-1", "tgt-2", "tgt-3"]) await sh(host, "systemctl start nginx");
}

export function address(name: string): string {
  const host = readFleet().hosts.find((h) => h.name === name);
  if (!host) throw new Error(`no fleet host ${name}`);
  return host.address;
}
