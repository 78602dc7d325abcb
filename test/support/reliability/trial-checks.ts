/**
 * The invariants every reliability trial checks after a run completes: the journal parses (a
 * torn tail only at the end), no finished step ran again, and the target equals the source.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type JournalContents, parseJournal } from "../../../src/engine/journal/journal-read.ts";
import type { JournalRecord } from "../../../src/engine/journal/journal-record.ts";
import type { PlanInput } from "../../../src/plan/schema.ts";
import { workloadOf } from "./derived-plan.ts";
import { diffManifests, expectedRewrites, hostManifest, type ManifestDiff } from "./host-state.ts";

export function journalFile(stateDir: string, planName: string): string {
  return join(stateDir, planName, "journal.jsonl");
}

/** The journal through the product's own reader: throws on corruption, reports a torn tail. */
export function readJournalFile(stateDir: string, planName: string): JournalContents {
  const file = journalFile(stateDir, planName);
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  return parseJournal(text, file);
}

/** Step keys with more than one step-finish record (rollback excluded): a finished step ran again. */
export function repeatedFinishes(records: readonly JournalRecord[]): string[] {
  const seen = new Map<string, number>();
  for (const record of records) {
    if (record.type !== "step-finish" || record.step === "rollback") continue;
    seen.set(record.key, (seen.get(record.key) ?? 0) + 1);
  }
  return [...seen].filter(([, count]) => count > 1).map(([key]) => key);
}

/** Source vs target manifest of one workload, rewritten files held to their expected content. */
export async function workloadDiff(plan: PlanInput, workloadName: string): Promise<ManifestDiff> {
  const workload = workloadOf(plan, workloadName);
  const paths = workload.paths ?? [];
  const [source, target, rewritten] = await Promise.all([
    hostManifest(workload.source as string, paths),
    hostManifest(workload.target as string, paths),
    expectedRewrites(workload.source as string, (workload.rewrite ?? []) as never),
  ]);
  if (source.size === 0) throw new Error(`no files found for ${workloadName} on its source`);
  return diffManifests(source, target, rewritten);
}
