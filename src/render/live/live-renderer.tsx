/**
 * The ink live view as a Renderer. Renders to stderr (stdout stays data). Keys: q or Ctrl-C
 * stops gracefully (onInterrupt; the engine journals in-flight steps as interrupted); a second
 * Ctrl-C exits 130 at once. SIGINT from outside (kill -INT) behaves the same.
 */
import { render, useInput, useStdin } from "ink";
import { formatDiagnostic } from "../../plan/diagnostics.ts";
import { HARD_ABORT_EXIT, type Renderer, type RendererOptions, type RunSummary } from "../types.ts";
import { LiveView } from "./live-view.tsx";
import { RunStore } from "./store.ts";

/** Ctrl-C escalates (first stops, next aborts); q only ever stops. */
function Keys({ onStop, onCtrlC }: { onStop: () => void; onCtrlC: () => void }) {
  const { isRawModeSupported } = useStdin();
  useInput(
    (input, key) => {
      if (key.ctrl && input === "c") onCtrlC();
      else if (input === "q") onStop();
    },
    { isActive: isRawModeSupported === true },
  );
  return null;
}

export function createLiveRenderer(
  options: RendererOptions & { stderr: NodeJS.WriteStream; stdin: NodeJS.ReadStream },
): Renderer {
  const store = new RunStore(options.workloads);
  const title = options.title ?? "";
  const interactive = Boolean(options.stdin.isTTY);

  const stop = () => {
    if (store.state.stopping) return;
    store.markStopping();
    options.onInterrupt?.();
  };
  // Ctrl-C after a stop was requested (by Ctrl-C or q) aborts at once.
  const ctrlC = () => {
    if (store.state.stopping) {
      instance.unmount();
      options.stderr.write("aborted\n");
      process.exit(HARD_ABORT_EXIT);
    }
    stop();
  };

  const tree = (final = false, closing?: string) => (
    <>
      <LiveView
        store={store}
        title={title}
        timeZone={options.timeZone ?? "UTC"}
        resumeCommand={options.resumeCommand}
        interactive={interactive}
        final={final}
        closing={closing}
      />
      {final ? null : <Keys onStop={stop} onCtrlC={ctrlC} />}
    </>
  );

  const instance = render(tree(), {
    stdout: options.stderr,
    stdin: options.stdin,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  process.on("SIGINT", ctrlC);
  const releaseSigint = () => process.off("SIGINT", ctrlC);
  let closed = false;

  const close = async () => {
    if (closed) return;
    closed = true;
    releaseSigint();
    instance.unmount();
    await instance.waitUntilExit().catch(() => {});
  };

  return {
    onEvent: (event) => store.push(event),
    diagnostics(list) {
      // Diagnostics come before a run starts; ink's <Static> would reorder them, so print plainly.
      for (const d of list) options.stderr.write(`${formatDiagnostic(d)}\n`);
    },
    async done(summary: RunSummary = {}) {
      if (closed) return;
      instance.rerender(tree(true, summary.message));
      await close();
    },
    close,
  };
}
