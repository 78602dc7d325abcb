/** Plan edits and host set-ups shared by the replication e2e tests. */
import { expect } from "vitest";
import { pgTableChecksums, TAX_DB } from "../../../fixtures/fleet/index.ts";
import { type PlanEdit, sh } from "./pipeline.ts";

/** The tax database asks for `mode: replicate` explicitly (a failing preflight refuses). */
export const replicateTax: PlanEdit = (plan) => {
  const tax = plan.workloads?.find((w) => w.name === "tax-collection");
  for (const db of tax?.databases ?? []) db.mode = "replicate";
};

/** The objects of a reverse replication (kept on the target for a rollback) among `lines`. */
export function reverseObjects(lines: readonly string[]): string[] {
  return lines.filter((line) => /^(slot|publication|subscription|user) migrate_(sub|pub|repl)_r/.test(line));
}

/** A server setting changed with ALTER SYSTEM on `host`, then PostgreSQL restarted to take it. */
export async function restartPostgres(host: string, setting: string): Promise<void> {
  const set = await sh(
    host,
    `runuser -u postgres -- psql -X -q -c "${setting}" && systemctl restart postgresql`,
  );
  expect(set.code, set.stderr).toBe(0);
}

/** The tax database holds the same rows on the source and the target (count and checksum per table). */
export async function expectTaxTablesEqual(): Promise<void> {
  const [source, target] = await Promise.all([
    pgTableChecksums("tax-src", TAX_DB),
    pgTableChecksums("tgt-2", TAX_DB),
  ]);
  expect(Object.keys(source)).toContain("public.load_events");
  expect(target).toEqual(source);
}
