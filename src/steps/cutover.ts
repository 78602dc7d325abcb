/**
 * cutover (the engine has checked the window): freeze the source by stopping its services, run
 * the final delta sync, switch traffic per strategy, start the target's services. `frozenAt`
 * is journaled at once (checkpoint) and returned, so the engine measures downtime from the
 * real freeze even across a resume. undo(): source services started, traffic back to the
 * source, target services stopped — in that order, so requests always find a running side.
 */
import { finalSync } from "./final-sync.ts";
import { startServices, stopServices } from "./services.ts";
import { switchTraffic } from "./traffic/switch.ts";
import type { Step } from "./types.ts";

export const cutover: Step = {
  name: "cutover",
  async run(context) {
    const { workload, signal } = context;
    const source = await context.remote(workload.source);
    const target = await context.remote(workload.target);
    const earlier = context.lastCheckpoint?.frozenAt;
    const frozenAt = typeof earlier === "string" ? earlier : context.now().toISOString();
    await stopServices(source, workload.services, signal);
    if (typeof earlier !== "string") await context.checkpoint({ frozenAt });
    context.log.info(`source ${workload.source} frozen`, { services: workload.services });

    const sync = await finalSync(context, source, target);
    // Start the target before traffic reaches it, so the switch never points at a stopped app.
    await startServices(target, workload.services, signal);
    const traffic = await switchTraffic(context, "target");
    return { frozenAt, switchedAt: context.now().toISOString(), traffic, ...sync };
  },
  async undo(context) {
    const { workload, signal } = context;
    const source = await context.remote(workload.source);
    const target = await context.remote(workload.target);
    await startServices(source, workload.services, signal);
    await switchTraffic(context, "source");
    await stopServices(target, workload.services, signal);
  },
};
