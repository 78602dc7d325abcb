/**
 * The tables of one run's section as data, so the Markdown and the HTML report list the same
 * rows and differ only in markup: a cell is its text plus how HTML marks it.
 */

import { rehearsalText } from "../engine/journal/status.ts";
import type { CheckResult, RunReport, WorkloadReport } from "./model.ts";
import {
  bytesText,
  dash,
  digestText,
  downtimeText,
  durationText,
  hintLines,
  verificationText,
  whenText,
} from "./text.ts";

export type Tone = "ok" | "warn" | "bad";

export interface Cell {
  text: string | number;
  tone?: Tone;
  /** Right-aligned figures. */
  num?: boolean;
  /** Digests and other literal text. */
  mono?: boolean;
  /** The checks behind a verification, which HTML marks one by one. */
  checks?: readonly CheckResult[];
}

export interface RunTable {
  /** Stable name (HTML class). */
  id: string;
  title: string;
  headers: string[];
  rows: Cell[][];
  /** Remedies shown under the table, one line each ("Hints:"). */
  hints?: string[];
}

/** Succeeded reads well, running or pending is waiting, anything else needs a look. */
export function statusTone(status: string): Tone {
  return status === "succeeded" ? "ok" : status === "running" || status === "pending" ? "warn" : "bad";
}

function systemRow(w: WorkloadReport): Cell[] {
  return [
    { text: w.name },
    { text: w.bureau },
    { text: w.wave, num: true },
    { text: `${w.source} → ${w.target}` },
    { text: w.reason ? `${w.status}: ${w.reason}` : w.status, tone: statusTone(w.status) },
    { text: bytesText(w.bytes), num: true },
    { text: w.files ?? dash, num: true },
    w.budgetExceeded ? { text: downtimeText(w), tone: "bad" } : { text: downtimeText(w) },
  ];
}

function carriedRow(w: WorkloadReport): Cell[] {
  const { inPlace, seeded, sent } = w.accounting;
  return [
    { text: w.name },
    { text: bytesText(inPlace), num: true },
    { text: bytesText(seeded), num: true },
    { text: bytesText(sent), num: true },
  ];
}

function verificationRow(w: WorkloadReport): Cell[] {
  const { ok, checks } = w.verification;
  const verdict: Cell = { text: verificationText(w) };
  if (ok !== undefined) verdict.tone = ok ? "ok" : "bad";
  const listed = checks
    .map((c) => `${c.ok ? "✔" : "✘"} ${c.name}${c.detail ? ` (${c.detail})` : ""}`)
    .join("; ");
  return [{ text: w.name }, { text: digestText(w), mono: true }, verdict, { text: listed || dash, checks }];
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** What a rehearsal measured, in the order the cutover would spend it. */
function measuredText(measured: NonNullable<WorkloadReport["rehearsal"]>["measured"]): string {
  if (!measured) return dash;
  const rate = measured.transferBps > 0 ? ` at ${bytesText(measured.transferBps)}/s` : "";
  return [
    `stop ${seconds(measured.stopMs)}`,
    `list ${seconds(measured.listMs)}`,
    `${measured.changedFiles} changed (${bytesText(measured.changedBytes)}) hashed ${seconds(measured.hashMs)}`,
    `target tree ${seconds(measured.treeMs)}`,
    ...(measured.dumpMs + measured.restoreMs > 0
      ? [
          `dump ${seconds(measured.dumpMs)} (${bytesText(measured.dumpBytes)})`,
          `restore ${seconds(measured.restoreMs)}`,
        ]
      : []),
    `start ${seconds(measured.startMs)}`,
    `nginx -t ${seconds(measured.switchMs)}`,
    `verify ${seconds(measured.verifyMs)}${rate}`,
  ].join(", ");
}

function rehearsalRow(w: WorkloadReport, timeZone: string): Cell[] {
  const rehearsal = w.rehearsal!;
  const text = rehearsalText(rehearsal, w.downtimeBudgetMs, timeZone);
  const over =
    rehearsal.projectedDowntimeMs !== undefined &&
    w.downtimeBudgetMs !== undefined &&
    rehearsal.projectedDowntimeMs > w.downtimeBudgetMs;
  const listed = rehearsal.checks
    .map((c) => `${c.ok ? "✔" : "✘"} ${c.name}${c.detail ? ` (${c.detail})` : ""}`)
    .join("; ");
  return [
    { text: w.name },
    { text, tone: rehearsal.ok && !over ? "ok" : "bad" },
    { text: listed || dash, checks: rehearsal.checks },
    { text: measuredText(rehearsal.measured) },
  ];
}

/**
 * Systems, data carried, step timings, digests, failures, rollbacks and (for a rehearsal) the
 * rehearsal on the target of one run, in that order.
 */
export function runTables(run: RunReport, timeZone: string): RunTable[] {
  const rehearsed = run.workloads.filter((w) => w.rehearsal !== undefined);
  const when = (iso: string | undefined) => whenText(iso, timeZone);
  const steps = run.workloads.flatMap((w) =>
    w.steps.map((s): Cell[] => [
      { text: w.name },
      { text: s.step },
      { text: s.status, tone: statusTone(s.status === "finished" ? "succeeded" : s.status) },
      { text: s.attempts, num: true },
      { text: when(s.startedAt) },
      { text: durationText(s.durationMs), num: true },
    ]),
  );
  const failures = run.workloads.flatMap((w) =>
    w.failures.map((f): Cell[] => [
      { text: w.name },
      { text: f.step },
      { text: when(f.at) },
      { text: `${f.kind}${f.willRetry ? " (retried)" : ""}`, tone: f.willRetry ? "warn" : "bad" },
      { text: `${f.message}${f.host ? ` [${f.host}]` : ""}` },
    ]),
  );
  const rollbacks = run.workloads.flatMap((w): Cell[][] =>
    w.rollback
      ? [
          [
            { text: w.name },
            { text: when(w.rollback.at) },
            {
              text: w.rollback.ok ? "done" : `FAILED${w.rollback.message ? `: ${w.rollback.message}` : ""}`,
              tone: w.rollback.ok ? "ok" : "bad",
            },
            { text: durationText(w.rollback.durationMs), num: true },
          ],
        ]
      : [],
  );
  const hooks = run.workloads.flatMap((w) =>
    (w.hooks ?? []).map((h): Cell[] => [
      { text: w.name },
      { text: `${h.hook} on ${h.host}: ${h.run}` },
      { text: when(h.at) },
      {
        text: h.ok
          ? "ok"
          : `${h.timedOut ? "timed out" : `exit ${h.exitCode ?? "?"}`}${h.mustSucceed ? "" : " (warning)"}${h.stderrTail ? `: ${h.stderrTail}` : ""}`,
        tone: h.ok ? "ok" : h.mustSucceed ? "bad" : "warn",
      },
      { text: durationText(h.durationMs), num: true },
    ]),
  );
  const finalized = run.workloads.flatMap((w): Cell[][] =>
    w.finalized
      ? [
          [
            { text: w.name },
            { text: when(w.finalized.at) },
            { text: w.finalized.by },
            { text: w.finalized.servicesDisabled.join(", ") || dash },
            { text: w.finalized.stagingRemoved.join(", ") || dash },
            { text: w.finalized.replicationDropped.join(", ") || "none left" },
          ],
        ]
      : [],
  );
  // Hooks and finalize appear only in runs that have them, so other reports read as before.
  const lifecycle = [
    {
      id: "hooks",
      title: "Hooks",
      headers: ["Workload", "Hook", "Started", "Result", "Duration"],
      rows: hooks,
    },
    {
      id: "finalized",
      title: "Finalized (rollback no longer offered)",
      headers: [
        "Workload",
        "Finalized at",
        "By",
        "Source services disabled",
        "Staging removed on",
        "Replication dropped",
      ],
      rows: finalized,
    },
  ].filter((table) => table.rows.length > 0);
  return [
    {
      id: "systems",
      title: "Systems",
      headers: [
        "Workload",
        "Bureau",
        "Wave",
        "Source → target",
        "Status",
        "Bytes",
        "Files",
        "Downtime vs budget",
      ],
      rows: run.workloads.map(systemRow),
    },
    {
      id: "carried",
      title: "Data carried",
      headers: ["Workload", "Verified in place", "Carried by seed", "Sent over the link"],
      rows: run.workloads.map(carriedRow),
    },
    {
      id: "steps",
      title: "Step timings",
      headers: ["Workload", "Step", "Status", "Attempts", "Started", "Duration"],
      rows: steps,
    },
    {
      id: "digests",
      title: "Manifest digests and verification",
      headers: ["Workload", "Manifest digest", "Verification", "Checks"],
      rows: run.workloads.map(verificationRow),
    },
    {
      id: "failures",
      title: "Failures",
      headers: ["Workload", "Step", "At", "Kind", "Message"],
      rows: failures,
      hints: hintLines(run),
    },
    {
      id: "rollbacks",
      title: "Rollbacks",
      headers: ["Workload", "At", "Result", "Duration"],
      rows: rollbacks,
    },
    ...(rehearsed.length > 0
      ? [
          {
            id: "rehearsal",
            title: "Rehearsal on the targets (no freeze, no switch)",
            headers: ["Workload", "Rehearsal", "Checks against the target", "Measured"],
            rows: rehearsed.map((w) => rehearsalRow(w, timeZone)),
          },
        ]
      : []),
    ...lifecycle,
  ];
}
