/**
 * TEST DATA: a scripted engine event stream (two waves, three bureaus, a transfer with
 * progress, a cutover with downtime, a failure with rollback) for render tests and the tmux
 * replay. Times are relative; `at` is stamped when replayed.
 */
import type { EngineEvent } from "../../src/engine/events.ts";
import type { WorkloadInfo } from "../../src/render/run-state.ts";
import { OUTPUTS } from "./step-outputs.ts";

type Timeless<T> = T extends unknown ? Omit<T, "at"> : never;
export interface ScriptedEvent {
  /** Milliseconds to wait before this event. */
  after: number;
  event: Timeless<EngineEvent>;
}

export const SCENARIO_WORKLOADS: WorkloadInfo[] = [
  { name: "finance-portal", bureau: "finance", wave: 1, downtimeBudgetMs: 300_000 },
  { name: "land-revenue", bureau: "finance", wave: 1, downtimeBudgetMs: 600_000 },
  { name: "housing-fund", bureau: "housing-fund-centre", wave: 1 },
  { name: "drug-approvals", bureau: "food-and-drug", wave: 2, downtimeBudgetMs: 120_000 },
];

const GiB = 1024 ** 3;

function transfer(workload: string, total: number, steps: number, everyMs: number): ScriptedEvent[] {
  const out: ScriptedEvent[] = [];
  for (let i = 1; i <= steps; i += 1) {
    const done = Math.round((total * i) / steps);
    out.push({
      after: everyMs,
      event: {
        type: "step-progress",
        workload,
        step: "transfer",
        bytesDone: done,
        bytesTotal: total,
        filesDone: i * 10,
        filesTotal: steps * 10,
        rateBps: total / ((steps * everyMs) / 1000),
      },
    });
  }
  return out;
}

function steps(
  workload: string,
  names: ("snapshot" | "reconfigure" | "verify")[],
  gap: number,
): ScriptedEvent[] {
  return names.flatMap((step) => [
    { after: gap, event: { type: "step-start", workload, step, attempt: 1 } },
    // The union of steps has no single outputs type; each name gets its own contract's sample.
    {
      after: gap,
      event: {
        type: "step-end",
        workload,
        step,
        durationMs: gap,
        outputs: OUTPUTS[step],
      } as ScriptedEvent["event"],
    },
  ]);
}

/** Longer ticks stretch the transfer (and verifyMs the freeze) so a terminal test can watch them. */
export function scenario(
  options: { transferSteps?: number; tickMs?: number; verifyMs?: number } = {},
): ScriptedEvent[] {
  const ticks = options.transferSteps ?? 40;
  const tick = options.tickMs ?? 100;
  // finance-portal's verify runs while its source is frozen: it sets the downtime.
  const verifyMs = options.verifyMs ?? 300;
  const zero = {
    pending: 0,
    running: 0,
    succeeded: 3,
    failed: 0,
    skipped: 0,
    "rolled-back": 1,
    interrupted: 0,
  };
  return [
    {
      after: 0,
      event: {
        type: "run-start",
        runId: "20261205T140000Z-demo",
        plan: "demo",
        planHash: "abc",
        workloads: 4,
      },
    },
    {
      after: 50,
      event: { type: "wave-start", wave: 1, workloads: ["finance-portal", "land-revenue", "housing-fund"] },
    },
    ...steps("finance-portal", ["snapshot"], 50),
    ...steps("housing-fund", ["snapshot"], 50),
    { after: 50, event: { type: "step-start", workload: "land-revenue", step: "transfer", attempt: 1 } },
    ...transfer("land-revenue", 2.5 * GiB, ticks, tick),
    {
      after: 50,
      event: {
        type: "step-end",
        workload: "land-revenue",
        step: "transfer",
        durationMs: ticks * tick,
        // What the progress events showed arriving.
        outputs: { ...OUTPUTS.transfer, bytesSent: 2.5 * GiB, bytesInPlace: 0 },
      },
    },
    { after: 50, event: { type: "step-start", workload: "finance-portal", step: "cutover", attempt: 1 } },
    { after: 50, event: { type: "cutover-freeze", workload: "finance-portal" } },
    ...steps("finance-portal", ["verify"], verifyMs),
    {
      after: 50,
      event: {
        type: "step-end",
        workload: "finance-portal",
        step: "cutover",
        durationMs: 700,
        outputs: { ...OUTPUTS.cutover, delta: { ...OUTPUTS.cutover.delta, bytesSent: 0 } },
      },
    },
    {
      after: 10,
      event: {
        type: "workload-end",
        workload: "finance-portal",
        status: "succeeded",
        downtimeMs: 2 * verifyMs + 50,
      },
    },
    { after: 50, event: { type: "step-start", workload: "housing-fund", step: "verify", attempt: 1 } },
    {
      after: 100,
      event: {
        type: "step-fail",
        workload: "housing-fund",
        step: "verify",
        kind: "verify",
        message: "http://gw/housing/health returned 502",
        hint: "check the target's application log; the source serves again after the rollback",
        retryable: false,
        attempt: 1,
        willRetry: false,
      },
    },
    { after: 50, event: { type: "rollback-start", workload: "housing-fund", reason: "verify failed" } },
    { after: 100, event: { type: "rollback-end", workload: "housing-fund", ok: true } },
    {
      after: 10,
      event: {
        type: "workload-end",
        workload: "housing-fund",
        status: "rolled-back",
        reason: "verify: returned 502",
      },
    },
    ...steps("land-revenue", ["reconfigure", "verify"], 50),
    { after: 10, event: { type: "workload-end", workload: "land-revenue", status: "succeeded" } },
    { after: 50, event: { type: "wave-end", wave: 1 } },
    { after: 50, event: { type: "wave-start", wave: 2, workloads: ["drug-approvals"] } },
    ...steps("drug-approvals", ["snapshot", "reconfigure", "verify"], 50),
    { after: 10, event: { type: "workload-end", workload: "drug-approvals", status: "succeeded" } },
    { after: 50, event: { type: "wave-end", wave: 2 } },
    {
      after: 10,
      event: { type: "run-end", runId: "20261205T140000Z-demo", status: "succeeded", counts: zero },
    },
  ];
}

/** Stamp times onto a scripted stream without waiting (for pure render tests). */
export function stamped(script: ScriptedEvent[], start = Date.parse("2026-12-05T14:00:00Z")): EngineEvent[] {
  let t = start;
  return script.map(({ after, event }) => {
    t += after;
    return { ...event, at: new Date(t).toISOString() } as EngineEvent;
  });
}
