/**
 * One entry point for everything the operator sees while a command runs. Every mode is fed by
 * the same typed engine events:
 * - `auto`: the ink live view on stderr when stderr is a terminal (and not CI), else `plain`;
 * - `plain`: one line per event on stderr, coloured only on a terminal without NO_COLOR;
 * - `json`: NDJSON on stdout (`{ "v": 1, ...event }`), nothing else on stdout;
 * - `github`: workflow annotations on stdout for diagnostics and failures, plain lines on stderr.
 * The task UI uses stderr so stdout stays data (pipes, `--json`).
 */
import { colourWanted } from "./colour.ts";
import { createLineRenderer } from "./plain-renderer.ts";
import type { Renderer, RendererOptions } from "./types.ts";

export type { WorkloadInfo } from "./run-state.ts";
export type { InterruptRequest, OutputMode, Renderer, RendererOptions, RunSummary } from "./types.ts";

/** Whether `auto` would show the live view for these streams and environment. */
export function wantsLiveView(isTTY: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return isTTY && !env.CI && env.TERM !== "dumb";
}

/**
 * The renderer for `options.mode`. It never exits the process and installs no signal handler:
 * the command session (src/cli) owns SIGINT/SIGTERM and tells the renderer when to show a stop.
 */
export async function createRenderer(options: RendererOptions): Promise<Renderer> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const isTTY = options.isTTY ?? Boolean(stderr.isTTY);
  const colour = options.noColor === undefined ? colourWanted(isTTY) : isTTY && !options.noColor;

  if (options.mode === "auto" && wantsLiveView(isTTY)) {
    // ink and React load only when a terminal will show them: plain runs stay quick to start.
    const { createLiveRenderer } = await import("./live/live-renderer.tsx");
    return createLiveRenderer({ ...options, stderr, stdin: options.stdin ?? process.stdin });
  }

  const mode = options.mode === "auto" ? "plain" : options.mode;
  return createLineRenderer(mode, options, { out: stdout, err: stderr }, colour);
}
