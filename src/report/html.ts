/**
 * The sign-off report as one self-contained HTML file: inline CSS, inline SVG timelines, no
 * script, no external assets (it is archived and printed). Same content as the Markdown.
 */
import { esc } from "./escape.ts";
import type { ReportModel, RunReport, WorkloadReport } from "./model.ts";
import { READINESS_HEADERS, readinessCells, SUMMARY_HEADERS, summaryCells } from "./readiness.ts";
import {
  bytesText,
  commandLine,
  dash,
  digestText,
  downtimeText,
  durationText,
  hintLines,
  operatorText,
  runDuration,
  systemsMovedText,
  verificationText,
  whenText,
} from "./text.ts";
import { timelineSvg } from "./timeline.ts";

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI","Noto Sans","Noto Sans CJK SC",sans-serif;color:#1d1d1f;margin:2rem auto;max-width:1100px;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:2px solid #ddd;padding-bottom:.2rem}h3{margin-top:1.4rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em;word-break:break-all}
.ok{color:#1a7f37}.bad{color:#c62828;font-weight:600}.warn{color:#9a6700}
.bar-outer{background:#eee;border-radius:3px;height:12px;min-width:120px}.bar-inner{background:#1a7f37;height:12px;border-radius:3px}
svg.timeline{border:1px solid #ddd;margin:.5rem 0}svg .label,svg .tick{font:11px system-ui,sans-serif;fill:#333}svg .grid{stroke:#e3e3e3}svg .bar.failed{stroke:#c62828;stroke-width:2}svg .downtime{fill:#c62828}
.meta td:first-child{width:12rem;font-weight:600}.signature{margin-top:2.5rem;display:grid;grid-template-columns:1fr 1fr;gap:2rem}
.signature div{border-top:1px solid #333;padding-top:.3rem}
@media print{body{margin:0;max-width:none;font-size:11px}h2{break-before:page}h2:first-of-type{break-before:auto}table,svg{break-inside:avoid}}
`;

function table(cls: string, head: string[], rows: string[][]): string {
  if (rows.length === 0) return `<p class="${cls} none">None.</p>`;
  const th = head.map((h) => `<th>${esc(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.join("")}</tr>`).join("\n");
  return `<table class="${cls}"><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const td = (text: string | number, cls = "") => `<td${cls ? ` class="${cls}"` : ""}>${esc(text)}</td>`;

/** The failures' remedies, one line each, under the failures table. */
function hintList(run: RunReport): string {
  const hints = hintLines(run);
  if (hints.length === 0) return "";
  return `\n<p>Hints:</p><ul class="hints">${hints.map((line) => `<li>${esc(line)}</li>`).join("")}</ul>`;
}

function statusClass(status: string): string {
  return status === "succeeded" ? "ok" : status === "running" || status === "pending" ? "warn" : "bad";
}

function systemsRow(w: WorkloadReport): string[] {
  return [
    td(w.name),
    td(w.bureau),
    td(w.wave, "num"),
    td(`${w.source} → ${w.target}`),
    td(w.reason ? `${w.status}: ${w.reason}` : w.status, statusClass(w.status)),
    td(bytesText(w.bytes), "num"),
    td(w.files ?? dash, "num"),
    td(downtimeText(w), w.budgetExceeded ? "bad" : ""),
  ];
}

function carriedRow(w: WorkloadReport): string[] {
  const { inPlace, seeded, sent } = w.accounting;
  return [
    td(w.name),
    td(bytesText(inPlace), "num"),
    td(bytesText(seeded), "num"),
    td(bytesText(sent), "num"),
  ];
}

function runSection(run: RunReport, timeZone: string): string {
  const when = (iso: string | undefined) => whenText(iso, timeZone);
  const meta = [
    ["Status", run.status],
    ["Started", when(run.startedAt)],
    ["Ended", when(run.endedAt)],
    ["Duration", runDuration(run)],
    ["Run by", operatorText(run)],
    ["Command", commandLine(run)],
    ["Plan hash", run.planHash],
    ["Systems moved", systemsMovedText(run)],
    ["Bytes moved", bytesText(run.bytesMoved)],
  ];
  const steps = run.workloads.flatMap((w) =>
    w.steps.map((s) => [
      td(w.name),
      td(s.step),
      td(s.status, statusClass(s.status === "finished" ? "succeeded" : s.status)),
      td(s.attempts, "num"),
      td(when(s.startedAt)),
      td(durationText(s.durationMs), "num"),
    ]),
  );
  const digests = run.workloads.map((w) => [
    td(w.name),
    `<td class="mono">${esc(digestText(w))}</td>`,
    td(verificationText(w), w.verification.ok === false ? "bad" : w.verification.ok ? "ok" : ""),
    `<td>${w.verification.checks.map((c) => `<span class="${c.ok ? "ok" : "bad"}">${c.ok ? "✔" : "✘"}</span> ${esc(c.name)}${c.detail ? ` <span class="mono">(${esc(c.detail)})</span>` : ""}`).join("<br>") || dash}</td>`,
  ]);
  const failures = run.workloads.flatMap((w) =>
    w.failures.map((f) => [
      td(w.name),
      td(f.step),
      td(when(f.at)),
      td(`${f.kind}${f.willRetry ? " (retried)" : ""}`, f.willRetry ? "warn" : "bad"),
      td(`${f.message}${f.host ? ` [${f.host}]` : ""}`),
    ]),
  );
  const rollbacks = run.workloads.flatMap((w) =>
    w.rollback
      ? [
          [
            td(w.name),
            td(when(w.rollback.at)),
            td(
              w.rollback.ok ? "done" : `FAILED${w.rollback.message ? `: ${w.rollback.message}` : ""}`,
              w.rollback.ok ? "ok" : "bad",
            ),
            td(durationText(w.rollback.durationMs), "num"),
          ],
        ]
      : [],
  );
  const details = `<h3>Timeline</h3>
${timelineSvg(run)}
<h3>Systems</h3>
${table("systems", ["Workload", "Bureau", "Wave", "Source → target", "Status", "Bytes", "Files", "Downtime vs budget"], run.workloads.map(systemsRow))}
<h3>Data carried</h3>
${table("carried", ["Workload", "Verified in place", "Carried by seed", "Sent over the link"], run.workloads.map(carriedRow))}
<h3>Step timings</h3>
${table("steps", ["Workload", "Step", "Status", "Attempts", "Started", "Duration"], steps)}
<h3>Manifest digests and verification</h3>
${table("digests", ["Workload", "Manifest digest", "Verification", "Checks"], digests)}
<h3>Failures</h3>
${table("failures", ["Workload", "Step", "At", "Kind", "Message"], failures)}${hintList(run)}
<h3>Rollbacks</h3>
${table("rollbacks", ["Workload", "At", "Result", "Duration"], rollbacks)}
`;
  return `<section class="run" data-run="${esc(run.runId)}">
<h2>Run ${esc(run.runId)} <small>(${esc(run.command)}, ${esc(run.status)})</small></h2>
<table class="meta"><tbody>${meta.map(([k, v]) => `<tr>${td(k ?? "")}${td(v ?? "")}</tr>`).join("")}</tbody></table>
${run.stoppedBeforeSteps !== undefined ? stoppedSection(run.stoppedBeforeSteps) : details}
</section>`;
}

function readinessSection(readiness: NonNullable<ReportModel["readiness"]>): string {
  const cells = (rows: string[][]) => rows.map((r) => r.map((cell) => td(cell)));
  // The status cell carries a class so a rebuild stands out on paper.
  const detail = readinessCells(readiness).map((r) =>
    r.map((cell, i) => td(cell, i === 3 ? (cell === "portable as is" ? "ok" : "warn") : "")),
  );
  return `<h2>Domestic-CPU readiness (measured by inventory)</h2>
${table("readiness-summary", SUMMARY_HEADERS, cells(summaryCells(readiness)))}
${table("readiness", READINESS_HEADERS, detail)}`;
}

/** Empty tables would read as "nothing failed"; say what stopped the run instead. */
function stoppedSection(reason: string): string {
  return `<h3>Stopped before any step</h3>
<p>The run stopped in its preflight checks; no host was changed. Reason:</p>
<pre class="bad">${esc(reason)}</pre>`;
}

export function renderHtml(model: ReportModel): string {
  const title = `Migration sign-off report: ${model.plan.name}${model.bureau ? ` (bureau ${model.bureau})` : ""}`;
  const progressRows = model.progress.map((b) => [
    td(b.bureau),
    td(b.migrated, "num"),
    td(b.planned, "num"),
    `<td class="num percent" data-bureau="${esc(b.bureau)}" data-percent="${b.percent}">${b.percent} %</td>`,
    `<td><div class="bar-outer"><div class="bar-inner" style="width:${Math.min(100, b.percent)}%"></div></div></td>`,
  ]);
  progressRows.push([
    "<td><strong>Total</strong></td>",
    td(model.overall.migrated, "num"),
    td(model.overall.planned, "num"),
    `<td class="num percent" data-total="true" data-percent="${model.overall.percent}">${model.overall.percent} %</td>`,
    `<td><div class="bar-outer"><div class="bar-inner" style="width:${Math.min(100, model.overall.percent)}%"></div></div></td>`,
  ]);
  const latest = model.progress.flatMap((b) =>
    b.workloads.map((w) => [
      td(b.bureau),
      td(w.name),
      td(w.status, statusClass(w.status)),
      td(w.runId ?? dash),
    ]),
  );
  const signatures = model.progress
    .map(
      (b) =>
        `<div>Accepted by (${esc(b.bureau)})<br><br>Name, signature: ______________________<br>Date: ____________</div>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p>Owner: ${esc(model.plan.owner)} · Plan file: <code>${esc(model.plan.file)}</code> · Generated ${esc(whenText(model.generatedAt, model.plan.timeZone))} · Runs: ${model.runs.length}</p>
${model.plan.description ? `<p>${esc(model.plan.description)}</p>` : ""}
<h2>Progress by bureau (all runs)</h2>
${table("progress", ["Bureau", "Systems migrated", "Planned", "Percent", ""], progressRows)}
${table("latest", ["Bureau", "Workload", "Latest status", "Run"], latest)}
${model.readiness ? readinessSection(model.readiness) : ""}
${[...model.runs]
  .reverse()
  .map((run) => runSection(run, model.plan.timeZone))
  .join("\n")}
<h2>Acceptance</h2>
<div class="signature">
${signatures}
</div>
</body>
</html>
`;
}
