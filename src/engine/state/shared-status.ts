/**
 * `status --state`: the same view as from the file journal, built from the shared journal; the
 * running run's operator stands where the lock holder stands for a local apply.
 */
import type { Plan } from "../../plan/schema.ts";
import { buildStatus, type StatusView } from "../journal/status.ts";
import { readRecords } from "./pg-journal.ts";
import { activeRun } from "./runs.ts";
import type { StateDb } from "./state-db.ts";

export async function sharedStatus(db: StateDb, plan: Plan): Promise<StatusView> {
  const name = plan.metadata.name;
  const [page, active] = await Promise.all([readRecords(db.pool, name), activeRun(db.pool, name)]);
  return buildStatus(plan, `${db.url.display} (plan ${name})`, { records: page.records }, active?.holder);
}
