/**
 * `migrate cancel <plan> --state URL`: stop the plan's run in the shared state. Nothing new
 * starts; each runner stops its workload at its next heartbeat (as Ctrl-C would locally) and the
 * run ends interrupted. Exit codes: 0 cancelled (or nothing was running), 64 usage.
 */
import { cancelRun } from "../../engine/state/runs.ts";
import { resolveStateUrl } from "../../engine/state/state-url.ts";
import { UserError } from "../../errors.ts";
import { ExitCode } from "../../exit-codes.ts";
import { loadPlanOrThrow } from "../../plan/load.ts";
import { withStateDb } from "../state-session.ts";

export interface CancelOptions {
  state?: string;
}

export async function run(file: string, options: CancelOptions = {}): Promise<number> {
  const url = resolveStateUrl(options.state);
  if (!url) {
    throw new UserError("usage", "cancel works on shared state; there is no --state or MIGRATE_STATE_URL", {
      hint: "a local apply stops with Ctrl-C; for a shared run pass --state postgres://…",
    });
  }
  const { plan } = await loadPlanOrThrow(file);
  const runId = await withStateDb(url, async (db, queue) =>
    cancelRun(db.pool, await queue(), plan.metadata.name),
  );
  process.stderr.write(
    runId
      ? `Cancelled run ${runId}: runners stop their workloads at the next heartbeat; the run ends interrupted.\n`
      : `No run of ${plan.metadata.name} is going on in ${url.display}; nothing to cancel.\n`,
  );
  return ExitCode.ok;
}
