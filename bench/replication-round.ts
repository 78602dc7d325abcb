/**
 * One measured `migrate apply` of one fleet workload for bench/replication.bench.ts: the plan
 * edited for the round, the write load started before the apply and stopped at the freeze (the
 * journal's first cutover checkpoint), and the downtime with where it went, from the journal.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { parse, stringify } from "yaml";
import { readFleet } from "../fixtures/fleet/index.ts";

const BIN = join(import.meta.dirname, "../bin/migrate");

export interface Round {
  label: string;
  downtimeMs: number;
  applyMs: number;
  /** Frozen → verified, by cutover sub-phase (as journaled) and verify. */
  phases: [string, number][];
  load: string;
  tables: number;
}

interface Options {
  label: string;
  workload: string;
  // biome-ignore lint/suspicious/noExplicitAny: the plan's YAML as parsed, edited in place
  edit: (workload: any) => void;
  /** Starts the load; the function it returns stops it and describes what it wrote. */
  startLoad: () => Promise<() => Promise<string>>;
}

interface Record_ {
  type: string;
  step?: string;
  at: string;
  downtimeMs?: number;
  data?: { phase?: string; frozenAt?: string; caughtUp?: { catchUpMs?: number }[] };
}

const PHASE_NAMES: Record<string, string> = {
  frozen: "services stopped + database frozen",
  synced: "file sync + tree check",
  restored: "databases (catch-up, counts)",
  started: "target services started",
  switching: "switch recorded",
  switched: "traffic switched",
};

function records(file: string): Record_[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record_);
}

function phasesOf(journal: Record_[]): [string, number][] {
  const checkpoints = journal.filter((r) => r.type === "step-checkpoint" && r.step === "cutover");
  const frozenAt = checkpoints[0]?.data?.frozenAt;
  const phases: [string, number][] = [];
  let previous = frozenAt ? Date.parse(frozenAt) : Number.NaN;
  let previousPhase = "";
  for (const record of checkpoints) {
    const phase = record.data?.phase ?? "";
    const at = Date.parse(record.at);
    if (phase === previousPhase) continue;
    phases.push([PHASE_NAMES[phase] ?? phase, at - previous]);
    previous = at;
    previousPhase = phase;
  }
  const caught = checkpoints.at(-1)?.data?.caughtUp ?? [];
  for (const db of caught) phases.push(["of which catch-up", db.catchUpMs ?? Number.NaN]);
  const start = journal.find((r) => r.type === "step-start" && r.step === "verify");
  const finish = journal.find((r) => r.type === "step-finish" && r.step === "verify");
  if (start && finish) phases.push(["verify", Date.parse(finish.at) - Date.parse(start.at)]);
  return phases;
}

export async function runRound(options: Options): Promise<Round> {
  const dir = mkdtempSync(join(tmpdir(), "bench-replication-"));
  try {
    const plan = parse(readFileSync(readFleet().planFile, "utf8"));
    const workload = plan.workloads.find((w: { name: string }) => w.name === options.workload);
    options.edit(workload);
    const planFile = join(dir, "plan.yaml");
    writeFileSync(planFile, stringify(plan, { lineWidth: 0 }));
    const stateDir = join(dir, "state");
    const journalFile = join(stateDir, "fleet-city-bureaus", "journal.jsonl");
    const stop = await options.startLoad();
    const started = Date.now();
    const applying = execa(
      BIN,
      ["apply", planFile, "--yes", "--only", options.workload, "--state-dir", stateDir, "--output", "json"],
      { reject: false, env: { NO_COLOR: "1", CI: "true" } },
    );
    let finished = false;
    void applying.finally(() => {
      finished = true;
    });
    // The load writes until the freeze, as the application it stands for would.
    while (
      !finished &&
      !records(journalFile).some((r) => r.type === "step-checkpoint" && r.step === "cutover")
    ) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const load = await stop();
    const result = await applying;
    const applyMs = Date.now() - started;
    if (result.exitCode !== 0) throw new Error(`apply (${options.label}) failed: ${result.stderr}`);
    const journal = records(journalFile);
    const end = journal.filter((r) => r.type === "workload-end").at(-1);
    return {
      label: options.label,
      downtimeMs: end?.downtimeMs ?? Number.NaN,
      applyMs,
      phases: phasesOf(journal),
      load,
      tables: 0,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
