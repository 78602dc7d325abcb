/**
 * Renderers without a live screen: plain lines (stderr), NDJSON (stdout) and GitHub
 * annotations (stdout, which Actions reads, plus plain lines on stderr).
 */
import type { EngineEvent } from "../engine/events.ts";
import type { Diagnostic } from "../plan/diagnostics.ts";
import { formatDiagnostic } from "../plan/diagnostics.ts";
import { palette } from "./colour.ts";
import { annotation, plainAnnotation } from "./github.ts";
import { diagnosticLine, eventLine, summaryLine } from "./ndjson.ts";
import { formatEventLine, formatTotalsLine } from "./plain-line.ts";
import { initialState, reduce, totals } from "./run-state.ts";
import {
  ABORT_HINT,
  type Renderer,
  type RendererOptions,
  type RunSummary,
  stoppingMessage,
} from "./types.ts";

/** Progress lines are news only this often per workload step (a transfer emits many per second). */
export const PROGRESS_INTERVAL_MS = 5000;

interface Streams {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

export function createLineRenderer(
  mode: "plain" | "json" | "github",
  options: RendererOptions,
  streams: Streams,
  colour: boolean,
): Renderer {
  const c = palette(colour);
  const state = initialState(options.workloads);
  const lastProgress = new Map<string, number>();

  const progressIsNews = (event: Extract<EngineEvent, { type: "step-progress" }>): boolean => {
    const key = `${event.workload}/${event.step}`;
    const at = Date.parse(event.at);
    const last = lastProgress.get(key);
    const complete = event.bytesTotal > 0 && event.bytesDone >= event.bytesTotal;
    if (last !== undefined && at - last < PROGRESS_INTERVAL_MS && !complete) return false;
    lastProgress.set(key, at);
    return true;
  };

  return {
    onEvent(event) {
      reduce(state, event);
      if (mode === "json") {
        streams.out.write(eventLine(event));
        return;
      }
      if (event.type === "step-progress" && !progressIsNews(event)) return;
      streams.err.write(`${formatEventLine(event, c, options.timeZone ?? "UTC")}\n`);
      // A rolled-back workload failed too (its cutover or verify did): CI must mark it as well.
      const failed =
        event.type === "workload-end" && (event.status === "failed" || event.status === "rolled-back");
      if (mode === "github" && event.type === "workload-end" && failed) {
        streams.out.write(
          `${plainAnnotation("error", `migrate: ${event.workload}`, event.reason ?? "failed")}\n`,
        );
      }
    },
    diagnostics(list: readonly Diagnostic[]) {
      for (const d of list) {
        if (mode === "json") streams.out.write(diagnosticLine(d));
        else if (mode === "github") streams.out.write(`${annotation(d)}\n`);
        else streams.err.write(`${formatDiagnostic(d)}\n`);
      }
    },
    async done(summary: RunSummary = {}) {
      const t = totals(state);
      if (mode === "json") {
        streams.out.write(summaryLine({ status: state.status, ...t, message: summary.message }));
        return;
      }
      if (state.workloads.size > 0) streams.err.write(`${formatTotalsLine(t, c)}\n`);
      if (summary.message) streams.err.write(`${summary.message}\n`);
    },
    stopping() {
      streams.err.write(`${stoppingMessage(options.resumeCommand)} (${ABORT_HINT})\n`);
    },
    abort() {},
    async close() {},
  };
}
