/**
 * `migrate status <plan> [--output json]`: waves → bureaus → workloads from the journal. Read-only and
 * without the lock, so it can follow an apply that is running (a torn last record from the
 * writer being mid-append is ignored).
 */
import { readJournal } from "../../engine/journal/journal-read.ts";
import { liveHolder } from "../../engine/journal/lock.ts";
import { readSeedJournal, seedBytes, seedJournalPath } from "../../engine/journal/seed-ledger.ts";
import { journalPath, lockPath, planStateDir } from "../../engine/journal/state-dir.ts";
import { buildStatus, formatStatus } from "../../engine/journal/status.ts";
import { sharedStatus } from "../../engine/state/shared-status.ts";
import { resolveStateUrl } from "../../engine/state/state-url.ts";
import { ExitCode } from "../../exit-codes.ts";
import { loadPlanOrThrow } from "../../plan/load.ts";
import { type OutputFormat, outputFormat } from "../output-format.ts";
import { planStateRoot } from "../paths.ts";
import { withStateDb } from "../state-session.ts";

export interface StatusOptions {
  json?: boolean;
  output?: OutputFormat;
  stateDir?: string;
  state?: string;
}

export async function run(file: string, options: StatusOptions = {}): Promise<number> {
  const format = outputFormat(options);
  const { plan } = await loadPlanOrThrow(file);
  const url = resolveStateUrl(options.state);
  if (url) {
    const status = await withStateDb(url, (db) => sharedStatus(db, plan));
    process.stdout.write(
      format === "json"
        ? `${JSON.stringify(status, null, 2)}\n`
        : formatStatus(status, plan.defaults.timezone),
    );
    return ExitCode.ok;
  }
  const root = await planStateRoot(plan, file, options.stateDir, "read");
  const name = plan.metadata.name;
  const contents = await readJournal(journalPath(root, name));
  const seeds = seedBytes(await readSeedJournal(seedJournalPath(root, name)));
  const status = buildStatus(
    plan,
    planStateDir(root, name),
    contents,
    liveHolder(lockPath(root, name)),
    seeds,
  );
  process.stdout.write(
    format === "json" ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status, plan.defaults.timezone),
  );
  return ExitCode.ok;
}
