/**
 * A run's timeline as inline SVG: one row per workload, one bar per step (colour by step,
 * red outline when it failed), an elapsed-time axis. No script, no external fonts: it prints.
 */
import { formatClock } from "../render/format.ts";
import { esc } from "./escape.ts";
import type { RunReport } from "./model.ts";

export const STEP_COLOURS: Record<string, string> = {
  snapshot: "#4e79a7",
  transfer: "#59a14f",
  reconfigure: "#edc948",
  cutover: "#f28e2b",
  verify: "#76b7b2",
  rollback: "#e15759",
  rehearse: "#b07aa1",
};

const LABEL = 170;
/** The downtime mark follows the step colours in the legend. */
const STEP_COUNT = Object.keys(STEP_COLOURS).length;
/** Legend entries apart, so every step and the downtime fit the width. */
const LEGEND_GAP = 90;
const WIDTH = 900;
const ROW = 22;
const TOP = 24;

function niceStep(spanMs: number): number {
  const candidates = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600].map(
    (s) => s * 1000,
  );
  return candidates.find((step) => spanMs / step <= 8) ?? 43_200_000;
}

export function timelineSvg(run: RunReport): string {
  const start = Date.parse(run.startedAt);
  const ends = run.workloads.flatMap((w) =>
    w.steps.map((s) => Date.parse(s.endedAt ?? s.startedAt) || start),
  );
  const end = Math.max(run.endedAt ? Date.parse(run.endedAt) : start, ...ends, start + 1000);
  const span = end - start;
  const plot = WIDTH - LABEL - 10;
  const x = (t: number) => LABEL + ((t - start) / span) * plot;
  const height = TOP + run.workloads.length * ROW + 28;
  const parts: string[] = [];
  const step = niceStep(span);
  for (let t = 0; t <= span; t += step) {
    const px = x(start + t).toFixed(1);
    parts.push(`<line x1="${px}" y1="${TOP - 4}" x2="${px}" y2="${height - 24}" class="grid"/>`);
    parts.push(
      `<text x="${px}" y="${height - 8}" class="tick" text-anchor="middle">${formatClock(t)}</text>`,
    );
  }
  run.workloads.forEach((w, row) => {
    const y = TOP + row * ROW;
    parts.push(`<text x="${LABEL - 8}" y="${y + 15}" text-anchor="end" class="label">${esc(w.name)}</text>`);
    for (const s of w.steps) {
      const from = Date.parse(s.startedAt);
      const to = s.endedAt ? Date.parse(s.endedAt) : from;
      const bx = x(from);
      const bw = Math.max(2, x(to) - bx);
      const failed = s.status === "failed" || s.status === "interrupted";
      const title = `${w.name} ${s.step}: ${s.status}, ${formatClock(to - from)}`;
      parts.push(
        `<rect x="${bx.toFixed(1)}" y="${y + 3}" width="${bw.toFixed(1)}" height="${ROW - 6}" rx="2" ` +
          `fill="${STEP_COLOURS[s.step] ?? "#999"}" class="bar${failed ? " failed" : ""}" data-step="${esc(s.step)}">` +
          `<title>${esc(title)}</title></rect>`,
      );
    }
    if (w.frozenAt && w.downtimeMs !== undefined) {
      // Downtime as a red rule under the row: from the freeze for as long as it was measured.
      const from = Date.parse(w.frozenAt);
      const dx = x(from);
      const dw = Math.max(2, x(from + w.downtimeMs) - dx);
      parts.push(
        `<rect x="${dx.toFixed(1)}" y="${y + ROW - 3}" width="${dw.toFixed(1)}" height="3" class="downtime">` +
          `<title>${esc(`${w.name} downtime ${formatClock(w.downtimeMs)}`)}</title></rect>`,
      );
    }
  });
  const legend =
    Object.entries(STEP_COLOURS)
      .map(
        ([name, colour], i) =>
          `<rect x="${LABEL + i * LEGEND_GAP}" y="4" width="12" height="12" fill="${colour}"/>` +
          `<text x="${LABEL + i * LEGEND_GAP + 16}" y="14" class="tick">${name}</text>`,
      )
      .join("") +
    `<rect x="${LABEL + STEP_COUNT * LEGEND_GAP}" y="9" width="12" height="3" class="downtime"/>` +
    `<text x="${LABEL + STEP_COUNT * LEGEND_GAP + 16}" y="14" class="tick">downtime</text>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" data-run="${esc(run.runId)}" viewBox="0 0 ${WIDTH} ${height}" ` +
    `width="100%" role="img" aria-label="Step timeline of run ${esc(run.runId)}">${legend}${parts.join("")}</svg>`
  );
}
