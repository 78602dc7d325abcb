/** Plan edits shared by the replication e2e tests. */
import type { PlanEdit } from "./pipeline.ts";

/** The tax database asks for `mode: replicate` explicitly (a failing preflight refuses). */
export const replicateTax: PlanEdit = (plan) => {
  const tax = plan.workloads?.find((w) => w.name === "tax-collection");
  for (const db of tax?.databases ?? []) db.mode = "replicate";
};
