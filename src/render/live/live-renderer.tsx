/**
 * The ink live view as a Renderer. Renders to stderr (stdout stays data). In raw mode the
 * terminal sends no SIGINT, so the keys are reported to the command session (onInterrupt): `q`
 * asks for a graceful stop, Ctrl-C interrupts; the session decides (a second Ctrl-C aborts) and
 * calls back `stopping()` or `abort()`.
 */
import { render, useInput, useStdin } from "ink";
import { formatDiagnostic } from "../../plan/diagnostics.ts";
import type { Renderer, RendererOptions, RunSummary } from "../types.ts";
import { LiveView } from "./live-view.tsx";
import { RunStore } from "./store.ts";

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

  const stop = () => options.onInterrupt?.("stop");
  const ctrlC = () => options.onInterrupt?.("interrupt");

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
  let closed = false;

  const close = async () => {
    if (closed) return;
    closed = true;
    instance.unmount();
    await instance.waitUntilExit().catch(() => {});
  };

  return {
    onEvent: (event) => store.push(event),
    diagnostics(list) {
      // Diagnostics come before a run starts; ink's <Static> would reorder them, so print plainly.
      for (const d of list) options.stderr.write(`${formatDiagnostic(d)}\n`);
    },
    stopping: () => store.markStopping(),
    abort() {
      if (closed) return;
      closed = true;
      instance.unmount();
      options.stderr.write("aborted\n");
    },
    async done(summary: RunSummary = {}) {
      if (closed) return;
      instance.rerender(tree(true, summary.message));
      await close();
    },
    close,
  };
}
