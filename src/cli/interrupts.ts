/**
 * How an operator stops a run, decided in one place for every run kind. A first Ctrl-C (SIGINT,
 * or the key the live view reads in raw mode), `q` or SIGTERM (systemd, a CI cancel) asks for a
 * graceful stop: the command's AbortSignal fires and the engine journals in-flight steps as
 * interrupted. A later Ctrl-C or SIGTERM aborts at once with exit 130; `q` never escalates.
 */
import { ExitCode } from "../exit-codes.ts";
import type { InterruptRequest } from "../render/index.ts";

/** What the operator sees of a stop: the renderer, or plain lines when a command has none. */
export interface StopView {
  stopping(): void;
  abort(): void;
}

export interface Interrupts {
  /** Aborted once a graceful stop was asked for. */
  readonly signal: AbortSignal;
  request(request: InterruptRequest): void;
  /** Where stops are shown from now on (the renderer exists only after the session starts). */
  show(view: StopView): void;
  /** Remove the signal handlers (idempotent). */
  release(): void;
}

export interface InterruptOptions {
  /** Before a renderer is shown: what `stopping()` and `abort()` do. */
  view: StopView;
  /** Ends the process on a hard abort; only the cli exits. */
  exit?: (code: number) => never;
  signals?: Pick<NodeJS.Process, "on" | "off">;
}

export function createInterrupts(options: InterruptOptions): Interrupts {
  const controller = new AbortController();
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? process;
  let view = options.view;

  const request = (kind: InterruptRequest) => {
    if (!controller.signal.aborted) {
      view.stopping();
      controller.abort();
      return;
    }
    if (kind === "stop") return;
    view.abort();
    exit(ExitCode.interrupted);
  };
  // Signals from outside (kill -INT, kill -TERM, Ctrl-C outside raw mode) count as interrupts.
  const onSignal = () => request("interrupt");
  signals.on("SIGINT", onSignal);
  signals.on("SIGTERM", onSignal);

  return {
    signal: controller.signal,
    request,
    show(next) {
      view = next;
    },
    release() {
      signals.off("SIGINT", onSignal);
      signals.off("SIGTERM", onSignal);
    },
  };
}

/** Stops shown as plain lines on stderr, for commands without a renderer (and before one). */
export function plainStopView(stderr: NodeJS.WritableStream = process.stderr): StopView {
  return {
    stopping: () => stderr.write("stopping… (press Ctrl-C again to abort at once)\n"),
    abort: () => {},
  };
}
