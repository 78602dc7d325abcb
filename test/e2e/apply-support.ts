/**
 * Helpers for the engine's e2e tests: run the real CLI (bin/migrate) against the fleet's plan
 * with a private state directory, and read what it journaled.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { parse, stringify } from "yaml";
import { parseJournal } from "../../src/engine/journal/journal-read.ts";
import type { JournalRecord } from "../../src/engine/journal/journal-record.ts";
import type { StepLabel } from "../../src/steps/contracts.ts";

export const BIN = fileURLToPath(new URL("../../bin/migrate", import.meta.url));

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export function newStateDir(): string {
  return mkdtempSync(join(tmpdir(), "migrate-apply-e2e-"));
}

/**
 * Start `migrate <args>` without waiting, through bin/migrate's #! line as an operator runs it
 * (with the V8 flags src/cli/memory-policy.ts relies on); NO_COLOR and CI keep the output plain lines.
 */
export function startCli(args: string[], env: Record<string, string> = {}, cwd?: string) {
  return execa(BIN, args, {
    ...(cwd ? { cwd } : {}),
    reject: false,
    env: { NO_COLOR: "1", CI: "true", ...env },
    stdin: "ignore",
    timeout: 240_000,
  });
}

export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const result = await startCli(args, env);
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** One workload's entry in `migrate status --json` output (its byte accounting). */
export function statusWorkload(
  stdout: string,
  name: string,
): { name: string; bytes: Record<string, number> } | undefined {
  const status = JSON.parse(stdout) as {
    waves: { bureaus: { workloads: { name: string; bytes: Record<string, number> }[] }[] }[];
  };
  return status.waves.flatMap((w) => w.bureaus.flatMap((b) => b.workloads)).find((w) => w.name === name);
}

export function journalOf(stateDir: string, planName: string): JournalRecord[] {
  const file = join(stateDir, planName, "journal.jsonl");
  if (!existsSync(file)) return [];
  return parseJournal(readFileSync(file, "utf8")).records;
}

/** Poll until `check` holds (the other process's progress can only be observed on disk). */
export async function until(check: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const ofType = <T extends JournalRecord["type"]>(records: readonly JournalRecord[], type: T) =>
  records.filter((r): r is Extract<JournalRecord, { type: T }> => r.type === type);

/** One workload's finish records of one step, its outputs typed by the step's contract. */
export const finishesOf = <S extends StepLabel>(
  records: readonly JournalRecord[],
  workload: string,
  step: S,
) =>
  records.filter(
    (r): r is Extract<JournalRecord, { type: "step-finish"; step: S }> =>
      r.type === "step-finish" && r.step === step && r.workload === workload,
  );

/** A copy of the fleet's plan with a bandwidth budget, so a transfer lasts long enough to watch. */
export function throttledPlan(planFile: string, bandwidth: string): string {
  const plan = parse(readFileSync(planFile, "utf8")) as { defaults?: Record<string, unknown> };
  plan.defaults = { ...plan.defaults, bandwidth };
  const file = join(mkdtempSync(join(tmpdir(), "migrate-apply-plan-")), "plan.yaml");
  writeFileSync(file, stringify(plan));
  return file;
}
