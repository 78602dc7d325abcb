/**
 * `status --state`: the same view as from the file journal, built from the shared journal; the
 * running run's operator stands where the lock holder stands for a local apply, and a workload
 * running on a runner shows the byte progress it last published for its running step.
 */
import type { Plan } from "../../plan/schema.ts";
import { progressView } from "../journal/progress-view.ts";
import { buildStatus, type StatusView } from "../journal/status.ts";
import { readRecords } from "./pg-journal.ts";
import { activeRun } from "./runs.ts";
import { readProgress } from "./shared-progress.ts";
import type { StateDb } from "./state-db.ts";

export async function sharedStatus(db: StateDb, plan: Plan): Promise<StatusView> {
  const name = plan.metadata.name;
  const [page, active] = await Promise.all([readRecords(db.pool, name), activeRun(db.pool, name)]);
  const status = buildStatus(
    plan,
    `${db.url.display} (plan ${name})`,
    { records: page.records },
    active?.holder,
  );
  if (!active) return status;
  const readings = new Map(
    (await readProgress(db.pool, active.runId)).map((row) => [row.workload, row.event]),
  );
  for (const workload of status.waves.flatMap((wave) => wave.bureaus.flatMap((bureau) => bureau.workloads))) {
    const reading = readings.get(workload.name);
    if (workload.status === "running" && reading && reading.step === workload.step)
      workload.progress = progressView(reading);
  }
  return status;
}
