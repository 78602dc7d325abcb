/**
 * The sign-off report as one self-contained HTML file: inline CSS, inline SVG timelines, no
 * script, no external assets (it is archived and printed). Same content as the Markdown.
 */
import { esc } from "./escape.ts";
import type { ReportModel, RunReport } from "./model.ts";
import { READINESS_HEADERS, readinessCells, SUMMARY_HEADERS, summaryCells } from "./readiness.ts";
import { type Cell, runTables, statusTone } from "./run-tables.ts";
import { dash, runFacts, whenText } from "./text.ts";
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

/** A cell with its HTML marks; a verification's checks are marked one by one. */
function cellHtml(cell: Cell): string {
  if (cell.checks) {
    const marked = cell.checks
      .map(
        (c) =>
          `<span class="${c.ok ? "ok" : "bad"}">${c.ok ? "✔" : "✘"}</span> ${esc(c.name)}${c.detail ? ` <span class="mono">(${esc(c.detail)})</span>` : ""}`,
      )
      .join("<br>");
    return `<td>${marked || dash}</td>`;
  }
  const cls = [cell.tone, cell.num ? "num" : "", cell.mono ? "mono" : ""].filter(Boolean).join(" ");
  return td(cell.text, cls);
}

/** The failures' remedies, one line each, under the failures table. */
function hintList(hints: string[]): string {
  if (hints.length === 0) return "";
  return `\n<p>Hints:</p><ul class="hints">${hints.map((line) => `<li>${esc(line)}</li>`).join("")}</ul>`;
}

function runSection(run: RunReport, timeZone: string): string {
  const meta = [["Status", run.status], ...runFacts(run, timeZone)];
  const tables = runTables(run, timeZone).map(
    (t) =>
      `<h3>${t.title}</h3>\n${table(
        t.id,
        t.headers,
        t.rows.map((row) => row.map(cellHtml)),
      )}${hintList(t.hints ?? [])}`,
  );
  const details = `<h3>Timeline</h3>
${timelineSvg(run)}
${tables.join("\n")}
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
      td(w.status, statusTone(w.status)),
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
