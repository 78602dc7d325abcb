/**
 * Readiness (pure): what blocks a workload's run and what only warns, from facts measured on
 * the hosts (apply's start, engine/running/readiness-probe.ts) or read from an inventory and
 * the journal (`migrate plan`). Blocks: too little free space on the target for what the source
 * holds, a port the target's services need held by another process, a target database server
 * older than the source's, a maintenance window already closed. Warnings: a window shorter than
 * the estimated transfer, a workload never rehearsed. Nothing here can be overridden: a block is
 * fixed on the hosts or in the plan.
 */
import { formatBytes } from "../../plan/bytes.ts";
import type { InventoryFacts } from "../../plan/inventory-facts.ts";
import type { PathSpace, WorkloadFacts } from "../../steps/readiness-facts.ts";
import type { JournalRecord } from "../journal/journal-record.ts";
import type { RunWorkload } from "./planner.ts";

export type ReadinessCheck = "space" | "ports" | "database-version" | "window" | "rehearsal" | "probe";

export interface ReadinessFinding {
  workload: string;
  check: ReadinessCheck;
  level: "block" | "warn";
  message: string;
  hint?: string;
}

export interface ReadinessContext {
  now: Date;
  /** Workloads a finished rehearsal passed verify for (rehearsedWorkloads). */
  rehearsed: ReadonlySet<string>;
  /** Bytes per second the transfer is expected to move (plan bandwidth or measured), if known. */
  rateBytesPerSecond?: number;
  ignoreWindow?: boolean;
  /**
   * Workloads whose cutover already froze the source (a checkpoint not undone by a rollback):
   * their window and ports are the cutover's own business now (it defers or finishes).
   */
  cutoverStarted?: ReadonlySet<string>;
}

const pending = (workload: RunWorkload, step: string) =>
  workload.steps.some((s) => s.name === step && s.status === "pending");

function spaceFindings(workload: RunWorkload, space: readonly PathSpace[]): ReadinessFinding[] {
  const byMount = new Map<string, { need: number; free: number; paths: string[] }>();
  for (const item of space) {
    const entry = byMount.get(item.mount) ?? { need: 0, free: item.freeBytes, paths: [] };
    entry.need += Math.max(0, item.sourceBytes - item.targetBytes);
    entry.paths.push(item.path);
    byMount.set(item.mount, entry);
  }
  return [...byMount]
    .filter(([, entry]) => entry.need > entry.free)
    .map(([mount, entry]) => ({
      workload: workload.name,
      check: "space" as const,
      level: "block" as const,
      message: `${workload.target} has ${formatBytes(entry.free)} free on ${mount} but ${entry.paths.join(", ")} need ${formatBytes(entry.need)} more from ${workload.source}`,
      hint: `free space on ${workload.target}:${mount} (or grow it), then run apply again`,
    }));
}

function windowFindings(
  workload: RunWorkload,
  facts: WorkloadFacts,
  context: ReadinessContext,
): ReadinessFinding[] {
  if (!workload.window || context.ignoreWindow || !pending(workload, "cutover")) return [];
  if (context.cutoverStarted?.has(workload.name)) return [];
  const end = Date.parse(workload.window.end);
  const left = end - context.now.getTime();
  if (left <= 0) {
    return [
      {
        workload: workload.name,
        check: "window",
        level: "block",
        message: `its maintenance window closed at ${workload.window.end}; the cutover would be refused after copying everything`,
        hint: "set a future window in the plan (or pass --ignore-window for an agreed out-of-window cutover)",
      },
    ];
  }
  const need = (facts.space ?? []).reduce((sum, p) => sum + Math.max(0, p.sourceBytes - p.targetBytes), 0);
  if (!context.rateBytesPerSecond || need === 0 || !pending(workload, "transfer")) return [];
  const estimateMs = (need / context.rateBytesPerSecond) * 1000;
  if (estimateMs <= left) return [];
  return [
    {
      workload: workload.name,
      check: "window",
      level: "warn",
      message: `the transfer of ${formatBytes(need)} takes about ${Math.ceil(estimateMs / 60_000)} min at ${formatBytes(context.rateBytesPerSecond)}/s, but the window closes in ${Math.floor(left / 60_000)} min`,
      hint: "start the copy earlier (apply before the window transfers without freezing) or widen the window",
    },
  ];
}

/** Every finding for the workloads with work left, blocks first. */
export function assessReadiness(
  workloads: readonly RunWorkload[],
  facts: ReadonlyMap<string, WorkloadFacts>,
  context: ReadinessContext,
): ReadinessFinding[] {
  const findings: ReadinessFinding[] = [];
  for (const workload of workloads) {
    if (workload.status === "done") continue;
    const known = facts.get(workload.name) ?? {};
    if (known.space && pending(workload, "transfer")) findings.push(...spaceFindings(workload, known.space));
    const started = context.cutoverStarted?.has(workload.name) ?? false;
    for (const { port, processes } of started ? [] : (known.portsInUse ?? [])) {
      findings.push({
        workload: workload.name,
        check: "ports",
        level: "block",
        message: `port ${port} on ${workload.target} is already in use by ${processes.join(", ") || "a process migrate cannot name"}, not by the workload's services`,
        hint: `stop that process on ${workload.target} or move the workload's service to another port`,
      });
    }
    for (const db of known.databases ?? []) {
      if (!db.source || !db.target) continue;
      const older =
        db.target[0] < db.source[0] || (db.target[0] === db.source[0] && db.target[1] < db.source[1]);
      if (!older) continue;
      findings.push({
        workload: workload.name,
        check: "database-version",
        level: "block",
        message: `${db.engine} on ${workload.target} is ${db.target.join(".")}, older than ${db.source.join(".")} on ${workload.source}: ${db.name}'s dump may not restore`,
        hint: `upgrade the database server on ${workload.target} to ${db.source.join(".")} or later`,
      });
    }
    findings.push(...windowFindings(workload, known, context));
    if (!context.rehearsed.has(workload.name) && pending(workload, "cutover")) {
      findings.push({
        workload: workload.name,
        check: "rehearsal",
        level: "warn",
        message: "never rehearsed: no rehearsal of it passed verify",
        hint: "run `migrate rehearse` first to measure the cutover on real data",
      });
    }
  }
  return findings.sort((a, b) => (a.level === b.level ? 0 : a.level === "block" ? -1 : 1));
}

/**
 * Workloads a rehearsal passed: a `workload-end` succeeded inside a run whose run-start says
 * command "rehearse" (the rehearse run kind journals its runs that way).
 */
export function rehearsedWorkloads(records: readonly JournalRecord[]): Set<string> {
  const rehearsals = new Set<string>();
  const rehearsed = new Set<string>();
  for (const record of records) {
    if (record.type === "run-start" && record.command === "rehearse") rehearsals.add(record.runId);
    if (record.type === "workload-end" && record.status === "succeeded" && rehearsals.has(record.runId))
      rehearsed.add(record.workload);
  }
  return rehearsed;
}

/**
 * Space facts from an inventory (`migrate plan --inventory`): sizes on the source and free
 * space per path on the target; what the target already holds is not known there (counted 0).
 */
export function inventorySpace(
  workloads: readonly RunWorkload[],
  inventory: InventoryFacts,
): Map<string, WorkloadFacts> {
  const facts = new Map<string, WorkloadFacts>();
  for (const workload of workloads) {
    const source = inventory.hosts[workload.source];
    const target = inventory.hosts[workload.target];
    const transfer = workload.steps.find((s) => s.name === "transfer");
    if (!source?.paths || !target?.freeBytes || transfer?.name !== "transfer") continue;
    const space: PathSpace[] = [];
    for (const path of transfer.input.paths) {
      const size = source.paths[path];
      const free = target.freeBytes[path];
      if (size === undefined || free === undefined) continue;
      space.push({ path, sourceBytes: size.bytes, targetBytes: 0, mount: path, freeBytes: free });
    }
    facts.set(workload.name, { space });
  }
  return facts;
}

/** The findings as lines for a terminal or an error message. */
export function readinessLines(findings: readonly ReadinessFinding[]): string[] {
  return findings.map(
    (f) =>
      `  ${f.level === "block" ? "BLOCK" : "warn "}  ${f.workload}  ${f.check}: ${f.message}${f.hint ? ` (${f.hint})` : ""}`,
  );
}
