/**
 * Helpers for the messy-fleet suites: plan edits that log in as the fleet's ordinary users,
 * and the output of a run for assertion messages.
 */
import { LOGINS } from "../../../fixtures/fleet/messy.ts";
import type { PlanInput } from "../../../src/plan/schema.ts";
import { sh } from "./pipeline.ts";

type Login = keyof typeof LOGINS;

/** Log in to `host` as one of the fleet's ordinary users, with or without `become: sudo`. */
export function loginAs(plan: PlanInput, host: string, login: Login, become: boolean): void {
  const hosts = [...(plan.sources ?? []), ...(plan.tenants ?? []).flatMap((tenant) => tenant.hosts)];
  const entry = hosts.find((candidate) => candidate.name === host);
  if (!entry) throw new Error(`no host ${host} in the plan`);
  entry.user = LOGINS[login].name;
  if (become) (entry as { become?: "sudo" }).become = "sudo";
}

/** Only the named workloads stay in the plan (others would wait on them or be untouched). */
export function onlyWorkloads(plan: PlanInput, names: string[]): void {
  plan.workloads = (plan.workloads ?? []).filter((workload) => names.includes(workload.name));
  for (const workload of plan.workloads) workload.dependsOn = [];
}

export function said(result: { stdout?: unknown; stderr?: unknown }): string {
  return `${String(result.stdout ?? "")}\n${String(result.stderr ?? "")}`;
}

/** Whether a path exists on a host (as root, inside its namespace). */
export async function exists(host: string, path: string): Promise<boolean> {
  return (await sh(host, `test -e '${path}' || test -L '${path}'`)).code === 0;
}
