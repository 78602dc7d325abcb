/**
 * A state directory belongs to one plan file. Two plan files with the same metadata.name in one
 * directory (a copy edited for a second bureau, say) would otherwise share one journal and lock
 * silently, each resuming the other's steps. The journal records the plan file of every run; a
 * run from a different file is refused while that other file still exists with the same name.
 * A plan that was moved or renamed (its old path gone) is the same plan and continues.
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { resolve } from "node:path";
import { parse } from "yaml";
import { UserError } from "../../errors.ts";
import type { JournalRecord } from "../journal/journal-record.ts";

function canonical(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return resolve(file);
  }
}

function planNameOf(file: string): string | undefined {
  try {
    const name = (parse(readFileSync(file, "utf8")) as { metadata?: { name?: unknown } })?.metadata?.name;
    return typeof name === "string" ? name : undefined;
  } catch {
    return undefined;
  }
}

/** The refusal when the journal's runs came from another, still existing plan file of the same name. */
export function otherPlanFile(
  records: readonly JournalRecord[],
  planFile: string,
  planName: string,
  stateDir: string,
): UserError | undefined {
  const last = records.findLast((r) => r.type === "run-start");
  if (last?.type !== "run-start") return undefined;
  const before = canonical(last.planFile);
  const now = canonical(planFile);
  if (before === now || !existsSync(before) || planNameOf(before) !== planName) return undefined;
  return new UserError(
    "journal",
    `the state ${stateDir} belongs to another plan file with the same metadata.name "${planName}": ${before} (this is ${now}); sharing it would resume one plan's steps with the other`,
    {
      hint: `give one of the two plans another metadata.name, or run this one with its own --state-dir`,
    },
  );
}
