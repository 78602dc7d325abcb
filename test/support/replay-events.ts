/**
 * TEST HARNESS: drives the real renderer (createRenderer, mode from argv, default auto) with the
 * scripted event stream at real speed, so terminal tests (tmux) see the live view exactly as an
 * operator would. `q`/Ctrl-C behave as in apply (the cli's interrupt policy decides): in-flight
 * workloads end "interrupted", a second Ctrl-C aborts at once.
 * Usage: tsx test/support/replay-events.ts [auto|plain|json|github] [tickMs] [verifyMs]
 */
import { createInterrupts, plainStopView } from "../../src/cli/interrupts.ts";
import { type EngineEvent, emptyCounts } from "../../src/engine/events.ts";
import { createRenderer, type OutputMode } from "../../src/render/index.ts";
import { SCENARIO_WORKLOADS, type ScriptedEvent, scenario } from "./event-scenario.ts";

const mode = (process.argv[2] ?? "auto") as OutputMode;
const tickMs = Number(process.argv[3] ?? 150);
const verifyMs = Number(process.argv[4] ?? 300);
const interrupts = createInterrupts({ view: plainStopView() });
const renderer = await createRenderer({
  mode,
  workloads: SCENARIO_WORKLOADS,
  title: "apply demo",
  resumeCommand: "migrate apply demo.yaml --yes",
  onInterrupt: interrupts.request,
});
interrupts.show(renderer);

const emit = (event: ScriptedEvent["event"]) =>
  renderer.onEvent({ ...event, at: new Date().toISOString() } as EngineEvent);
const started = new Set<string>();
const ended = new Set<string>();
let status: "succeeded" | "interrupted" = "succeeded";

for (const { after, event } of scenario({ transferSteps: 60, tickMs, verifyMs })) {
  await new Promise((resolve) => setTimeout(resolve, after));
  if (interrupts.signal.aborted) {
    status = "interrupted";
    break;
  }
  if (event.type === "step-start") started.add(event.workload);
  if (event.type === "workload-end") ended.add(event.workload);
  emit(event);
}

if (status === "interrupted") {
  // What the engine does on abort: in-flight steps are journaled interrupted, then the run ends.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  for (const workload of started) {
    if (!ended.has(workload))
      emit({ type: "workload-end", workload, status: "interrupted", reason: "stopped by operator" });
  }
  const counts = emptyCounts();
  emit({ type: "run-end", runId: "20261205T140000Z-demo", status, counts });
}
await renderer.done({ message: status === "interrupted" ? "Run interrupted." : "Run finished." });
interrupts.release();
process.exitCode = status === "interrupted" ? 130 : 0;
