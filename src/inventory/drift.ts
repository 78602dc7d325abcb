/**
 * Drift between the plan and what inventory found, as findings located at plan nodes: a
 * declared path missing, a service not running, a database missing, a CPU architecture that
 * differs from the target tenant's for a non-portable workload, native code for another CPU in
 * a workload declared portable, a target without room for the data. Pure: facts in, findings out. Unreachable hosts produce no drift (they are reported apart).
 */

import { formatBytes } from "../plan/bytes.ts";
import type { Finding } from "../plan/diagnostics.ts";
import { normalizeArch } from "../plan/inventory-facts.ts";
import type { WorkloadPortability } from "../plan/portability-facts.ts";
import { firstStep, portabilityFindings } from "../plan/portability-findings.ts";
import type { Plan, Workload } from "../plan/schema.ts";
import type { HostInventory } from "./host-facts.ts";
import { filesystemFor } from "./parse-df.ts";
import { serviceRunning } from "./parse-services.ts";
import { DEFAULT_PORTS } from "./targets.ts";

type Hosts = Readonly<Record<string, HostInventory>>;

function reachable(hosts: Hosts, name: string): HostInventory | undefined {
  const facts = hosts[name];
  return facts?.ok ? facts : undefined;
}

function sourceDrift(workload: Workload, index: number, source: HostInventory): Finding[] {
  const findings: Finding[] = [];
  const at = (...rest: (string | number)[]) => ["workloads", index, ...rest];
  workload.paths.forEach((path, j) => {
    if (source.missingPaths?.includes(path)) {
      findings.push({
        severity: "error",
        code: "path-missing",
        message: `declared path ${path} does not exist on ${workload.source}`,
        path: at("paths", j),
        hint: "fix the path in the plan or restore it on the source",
      });
    }
  });
  if (source.services) {
    const fromProcesses = source.servicesFrom === "ps";
    workload.services.forEach((service, j) => {
      if (serviceRunning(service, source.services ?? [], fromProcesses)) return;
      findings.push({
        severity: "warning",
        code: "service-not-running",
        message: `declared service ${service} is not running on ${workload.source}`,
        path: at("services", j),
        hint: `check \`systemctl status ${service}\` on ${workload.source}; a stopped service may mean the system moved or failed`,
      });
    });
  }
  workload.databases.forEach((database, j) => {
    const engine = database.engine === "postgresql" ? "postgresql" : "mysql";
    const port = database.port ?? DEFAULT_PORTS[database.engine];
    const server = source.databases?.find((s) => s.engine === engine && s.port === port);
    if (!server?.running) {
      findings.push({
        severity: "error",
        code: "database-missing",
        message: `${database.engine} on port ${port} is not answering on ${workload.source}${server?.error ? `: ${server.error}` : ""}`,
        path: at("databases", j),
        hint: "check that the database server runs and the port in the plan is right",
      });
    } else if (!server.databases.some((db) => db.name === database.name)) {
      findings.push({
        severity: "error",
        code: "database-missing",
        message: `database ${database.name} does not exist on ${workload.source} (${database.engine} ${server.version ?? ""} on port ${port})`,
        path: at("databases", j, "name"),
        hint: `existing databases: ${server.databases.map((db) => db.name).join(", ") || "none"}`,
      });
    }
  });
  return findings;
}

type Scans = Readonly<Record<string, WorkloadPortability>>;

function archDrift(plan: Plan, hosts: Hosts, scans: Scans): Finding[] {
  const findings: Finding[] = [];
  plan.tenants.forEach((tenant, t) => {
    for (const host of tenant.hosts) {
      const arch = reachable(hosts, host.name)?.arch;
      if (arch && normalizeArch(arch) !== tenant.arch) {
        findings.push({
          severity: "error",
          code: "arch-mismatch",
          message: `tenant ${tenant.name} declares ${tenant.arch} but its host ${host.name} runs ${normalizeArch(arch)}`,
          path: ["tenants", t, "arch"],
          hint: "correct the tenant's arch in the plan; the architecture rule depends on it",
        });
      }
    }
  });
  plan.workloads.forEach((workload, i) => {
    const tenant = plan.tenants.find((tn) => tn.hosts.some((h) => h.name === workload.target));
    const scan = scans[workload.name];
    if (tenant && scan) findings.push(...portabilityFindings(workload, tenant, scan, ["workloads", i]));
    if (workload.portable) return;
    const arch = reachable(hosts, workload.source)?.arch;
    if (!tenant || !arch || normalizeArch(arch) === tenant.arch) return;
    const step = firstStep(scan, tenant.arch);
    findings.push({
      severity: "error",
      code: "arch-mismatch",
      message: `${workload.name} is not portable: ${workload.source} runs ${normalizeArch(arch)} but tenant ${tenant.name} is ${tenant.arch}`,
      path: ["workloads", i, "target"],
      hint: step
        ? `first step: ${step}; or choose a ${normalizeArch(arch)} tenant`
        : "choose a tenant of the same architecture, or rebuild the system for the target and mark it portable: true",
    });
  });
  return findings;
}

/** Bytes each workload will bring to each file system of its target, minus what is already there. */
function spaceDrift(plan: Plan, hosts: Hosts): Finding[] {
  const needs = new Map<
    string,
    { target: string; mount: string; free: number; bytes: number; workloads: number[] }
  >();
  plan.workloads.forEach((workload, i) => {
    const source = reachable(hosts, workload.source);
    const target = reachable(hosts, workload.target);
    if (!source || !target?.filesystems) return;
    const add = (path: string, bytes: number) => {
      const fs = filesystemFor(path, target.filesystems ?? []);
      if (!fs || bytes <= 0) return;
      const key = `${workload.target}\0${fs.mount}`;
      const need = needs.get(key) ?? {
        target: workload.target,
        mount: fs.mount,
        free: fs.freeBytes,
        bytes: 0,
        workloads: [],
      };
      need.bytes += bytes;
      if (!need.workloads.includes(i)) need.workloads.push(i);
      needs.set(key, need);
    };
    for (const path of workload.paths) {
      const bytes = source.paths?.[path]?.bytes ?? 0;
      add(path, bytes - (target.paths?.[path]?.bytes ?? 0));
    }
    for (const database of workload.databases) {
      const engine = database.engine === "postgresql" ? "postgresql" : "mysql";
      const size = source.databases
        ?.find((s) => s.engine === engine && s.port === (database.port ?? DEFAULT_PORTS[database.engine]))
        ?.databases.find((db) => db.name === database.name)?.bytes;
      // Database files land in the engine's data directory on the target.
      if (size) add(`/var/lib/${engine}`, size);
    }
  });
  const findings: Finding[] = [];
  for (const need of needs.values()) {
    if (need.bytes <= need.free) continue;
    const names = need.workloads.map((i) => plan.workloads[i]!.name).join(", ");
    for (const i of need.workloads) {
      findings.push({
        severity: "error",
        code: "target-space",
        message: `${need.target} has ${formatBytes(need.free)} free on ${need.mount} but ${names} need ${formatBytes(need.bytes)}`,
        path: ["workloads", i, "target"],
        hint: `grow ${need.mount} on ${need.target} or move a workload to another host`,
      });
    }
  }
  return findings;
}

export function driftFindings(plan: Plan, hosts: Hosts, scans: Scans = {}): Finding[] {
  const findings: Finding[] = [];
  plan.workloads.forEach((workload, i) => {
    const source = reachable(hosts, workload.source);
    if (source) findings.push(...sourceDrift(workload, i, source));
  });
  findings.push(...archDrift(plan, hosts, scans), ...spaceDrift(plan, hosts));
  return findings;
}
