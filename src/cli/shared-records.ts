/**
 * For the commands that only read a plan's journal (report, plan): its records from the shared
 * state when `--state`/MIGRATE_STATE_URL names one, else undefined (the file journal is read).
 */
import type { JournalRecord } from "../engine/journal/journal-record.ts";
import { readRecords } from "../engine/state/pg-journal.ts";
import { resolveStateUrl } from "../engine/state/state-url.ts";
import { withStateDb } from "./state-session.ts";

export async function sharedRecords(
  flag: string | undefined,
  plan: string,
): Promise<JournalRecord[] | undefined> {
  const url = resolveStateUrl(flag);
  if (!url) return undefined;
  return withStateDb(url, async (db) => (await readRecords(db.pool, plan)).records);
}
