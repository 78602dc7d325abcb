/**
 * `migrate state push <plan> --state URL`: move the plan's file journal into the shared state
 * (idempotent) with its workloads' artefacts, holding the file lock so no local apply writes
 * meanwhile. Exit codes: 0 pushed,
 * 5 locked or a different journal already there, 64 usage.
 */

import { readJournal } from "../../engine/journal/journal-read.ts";
import { acquireLock } from "../../engine/journal/lock.ts";
import { journalPath, lockPath, planStateDir } from "../../engine/journal/state-dir.ts";
import { pushArtifacts, pushJournal } from "../../engine/state/push.ts";
import { resolveStateUrl } from "../../engine/state/state-url.ts";
import { UserError } from "../../errors.ts";
import { ExitCode } from "../../exit-codes.ts";
import { loadPlanOrThrow } from "../../plan/load.ts";
import { planStateRoot } from "../paths.ts";
import { withStateDb } from "../state-session.ts";

export interface StateCommandOptions {
  state?: string;
  stateDir?: string;
}

export async function run(action: string, file: string, options: StateCommandOptions = {}): Promise<number> {
  if (action !== "push") {
    throw new UserError("usage", `migrate state ${action}: unknown action`, { hint: "the action is push" });
  }
  const url = resolveStateUrl(options.state);
  if (!url) {
    throw new UserError("usage", "state push needs a database: there is no --state or MIGRATE_STATE_URL", {
      hint: `migrate state push ${file} --state postgres://user@host:5432/migrate_state`,
    });
  }
  const { plan } = await loadPlanOrThrow(file);
  const root = await planStateRoot(plan, file, options.stateDir, "read");
  const name = plan.metadata.name;
  const lock = await acquireLock(lockPath(root, name), `migrate state push ${file}`);
  try {
    const { records, torn } = await readJournal(journalPath(root, name));
    if (torn)
      process.stderr.write(
        `migrate: warning: the journal's torn last record (line ${torn.line}) is not pushed\n`,
      );
    const { result, artifacts } = await withStateDb(url, async (db) => ({
      result: await pushJournal(db.pool, name, records),
      artifacts: await pushArtifacts(db.pool, name, planStateDir(root, name)),
    }));
    process.stderr.write(
      `Pushed ${result.pushed} records of ${name} to ${url.display} (${result.already} were there already), and ${artifacts.files} artefact file(s) of its workloads (${artifacts.bytes} bytes). From now on pass --state to every command for this plan.\n`,
    );
    return ExitCode.ok;
  } finally {
    lock.release();
  }
}
