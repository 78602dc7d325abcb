/**
 * Per workload, what the portability scan found on its source: the native files under its
 * paths and the runtimes its services start. Pure: the plan and host facts in, the facts the
 * CPU rule and the readiness table read out (WorkloadPortability, plan/portability-facts.ts).
 */
import type { WorkloadPortability } from "../plan/portability-facts.ts";
import type { HostInventory } from "./host-facts.ts";

/** Native files listed per workload; counts cover them all. */
export const WORKLOAD_NATIVE_LIMIT = 50;

interface PlanWorkloads {
  workloads: readonly {
    name: string;
    source: string;
    paths: readonly string[];
    services: readonly string[];
  }[];
}

const unit = (service: string) => (service.includes(".") ? service : `${service}.service`);

export function workloadPortability(
  plan: PlanWorkloads,
  hosts: Readonly<Record<string, HostInventory>>,
): Record<string, WorkloadPortability> {
  const out: Record<string, WorkloadPortability> = {};
  for (const workload of plan.workloads) {
    const source = hosts[workload.source];
    const scan = source?.ok ? source.portability : undefined;
    if (!scan) continue;
    const facts: WorkloadPortability = {
      source: workload.source,
      candidates: 0,
      nativeCount: 0,
      machines: {},
      native: [],
      runtimes: [],
      truncated: false,
    };
    for (const path of workload.paths) {
      const found = scan.paths[path];
      if (!found) continue;
      facts.candidates += found.candidates;
      facts.nativeCount += found.nativeCount;
      facts.truncated ||= found.truncated;
      for (const [machine, count] of Object.entries(found.machines)) {
        facts.machines[machine] = (facts.machines[machine] ?? 0) + count;
      }
      facts.native.push(...found.native);
    }
    facts.native = facts.native.slice(0, WORKLOAD_NATIVE_LIMIT);
    const services = new Set(workload.services.map(unit));
    facts.runtimes = scan.runtimes.filter((r) => services.has(unit(r.service)));
    out[workload.name] = facts;
  }
  return out;
}
