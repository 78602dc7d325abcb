/**
 * Readiness at the start of apply, before any change: facts measured on each selected
 * workload's hosts (steps/readiness-facts.ts), assessed (planning/readiness.ts). Any block
 * refuses the whole run with one message naming every block (exit code not-ready); warnings
 * are shown and the run goes on. A block has no override flag: it is fixed on the host or in
 * the plan (a closed window excepted, which --ignore-window already governs).
 */
import { UserError } from "../../errors.ts";
import { parseBandwidth } from "../../plan/bytes.ts";
import type { Plan } from "../../plan/schema.ts";
import type { Remote } from "../../remote/types.ts";
import { probeReadiness, type WorkloadFacts } from "../../steps/readiness-facts.ts";
import { foldJournal } from "../journal/journal-fold.ts";
import type { JournalRecord } from "../journal/journal-record.ts";
import { cutoverInput, type RunWorkload } from "../planning/planner.ts";
import {
  assessReadiness,
  type ReadinessFinding,
  readinessLines,
  rehearsedWorkloads,
} from "../planning/readiness.ts";
import type { RunKind } from "./run-kinds.ts";

export interface GateOptions {
  plan: Plan;
  /** The selected workloads with work left, as the run plan has them. */
  workloads: readonly RunWorkload[];
  records: readonly JournalRecord[];
  remote(host: string): Promise<Remote>;
  signal: AbortSignal;
  now: Date;
  ignoreWindow: boolean;
  /** A rehearsal or sync never cuts over: windows and earlier rehearsals do not concern it. */
  kind: RunKind;
  /** Hosts the preflight could not reach: not probed again (each attempt waits out a connect deadline). */
  unreachable?: ReadonlySet<string>;
}

/** Bytes per second: the plan's bandwidth limit, else the fastest transfer the journal measured. */
export function expectedRate(plan: Plan, records: readonly JournalRecord[]): number | undefined {
  if (plan.defaults.bandwidth) return parseBandwidth(plan.defaults.bandwidth);
  let best: number | undefined;
  for (const record of records) {
    if (record.type !== "step-finish" || record.step !== "transfer" || record.durationMs <= 0) continue;
    const rate = (record.outputs.bytesSent / record.durationMs) * 1000;
    if (rate > 0 && (best === undefined || rate > best)) best = rate;
  }
  return best;
}

/** Throws UserError("not-ready") when anything blocks; returns the warnings otherwise. */
export async function readinessGate(options: GateOptions): Promise<ReadinessFinding[]> {
  const facts = new Map<string, WorkloadFacts>();
  const unmeasured: ReadinessFinding[] = [];
  for (const workload of options.workloads) {
    const cutover = cutoverInput(workload);
    const ports = cutover.traffic.strategy === "proxy" ? [cutover.traffic.upstreamPort] : [];
    const transferPending = workload.steps.some((s) => s.name === "transfer" && s.status === "pending");
    const cutoverPending = workload.steps.some((s) => s.name === "cutover" && s.status === "pending");
    if (!transferPending && !cutoverPending) continue;
    const away = [workload.source, workload.target].filter((host) => options.unreachable?.has(host));
    if (away.length > 0) {
      unmeasured.push({
        workload: workload.name,
        check: "probe",
        level: "warn",
        message: `readiness not measured: ${away.join(" and ")} unreachable at preflight`,
      });
      continue;
    }
    try {
      facts.set(
        workload.name,
        await probeReadiness(
          options.remote,
          { cutover, ports: cutoverPending ? ports : [], probeSpace: transferPending },
          options.signal,
        ),
      );
    } catch (error) {
      if (options.signal.aborted) throw error;
      // An unreachable host fails just its workloads later (preflight.ts); say what was not measured.
      unmeasured.push({
        workload: workload.name,
        check: "probe",
        level: "warn",
        message: `readiness not measured: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
  const rate = expectedRate(options.plan, options.records);
  const summary = foldJournal(options.records);
  const cutoverStarted = new Set(
    options.workloads
      .filter((w) => summary.workloads.get(w.name)?.steps.cutover?.lastCheckpoint !== undefined)
      .map((w) => w.name),
  );
  const assessed = assessReadiness(options.workloads, facts, {
    now: options.now,
    rehearsed: rehearsedWorkloads(options.records),
    ignoreWindow: options.ignoreWindow,
    cutoverStarted,
    ...(rate ? { rateBytesPerSecond: rate } : {}),
  });
  const findings =
    options.kind === "apply"
      ? assessed
      : assessed.filter((f) => f.check !== "window" && f.check !== "rehearsal");
  const blocks = findings.filter((f) => f.level === "block");
  if (blocks.length > 0) {
    throw new UserError(
      "not-ready",
      [
        `readiness: ${blocks.length} problem(s) block this run; nothing was changed:`,
        ...readinessLines(findings),
      ].join("\n"),
      {
        hint: "fix each BLOCK line on its host or in the plan, then run apply again (blocks cannot be overridden)",
      },
    );
  }
  return [...findings, ...unmeasured];
}
