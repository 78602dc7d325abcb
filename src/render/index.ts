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
import {
  ABORT_HINT,
  HARD_ABORT_EXIT,
  type Renderer,
  type RendererOptions,
  stoppingMessage,
} from "./types.ts";

export type { WorkloadInfo } from "./run-state.ts";
export type { OutputMode, Renderer, RendererOptions, RunSummary } from "./types.ts";

/** Whether `auto` would show the live view for these streams and environment. */
export function wantsLiveView(isTTY: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return isTTY && !env.CI && env.TERM !== "dumb";
}

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
  const renderer = createLineRenderer(mode, options, { out: stdout, err: stderr }, colour);
  const release = options.onInterrupt
    ? onSigint(options.onInterrupt, () =>
        stderr.write(`${stoppingMessage(options.resumeCommand)} (${ABORT_HINT})\n`),
      )
    : () => {};
  return {
    ...renderer,
    async done(summary) {
      release();
      await renderer.done(summary);
    },
    async close() {
      release();
      await renderer.close();
    },
  };
}

/**
 * First SIGINT: graceful stop; second: exit 130 at once. Returns a function removing the
 * handler. (The live view reads Ctrl-C as a key in raw mode and has its own twin of this.)
 */
export function onSigint(interrupt: () => void, announce: () => void): () => void {
  let count = 0;
  const handler = () => {
    count += 1;
    if (count > 1) process.exit(HARD_ABORT_EXIT);
    announce();
    interrupt();
  };
  process.on("SIGINT", handler);
  return () => process.off("SIGINT", handler);
}
