/**
 * Switching a workload's traffic between source and target per its cutover strategy. Each
 * direction is idempotent: pointing at where traffic already goes changes nothing.
 */
import { RemoteError } from "../../errors.ts";
import { sh } from "../../remote/shell.ts";
import { planHost, QUICK_MS, readState, writeState } from "../support.ts";
import type { StepContext } from "../types.ts";
import { pointRecord } from "./dns.ts";
import { installUpstream, readRemoteFile } from "./proxy.ts";
import { repointUpstream, upstreamPointsAt } from "./upstream.ts";

const UPSTREAM_STATE = "upstream-before.json";

export type Direction = "target" | "source";

export async function switchTraffic(context: StepContext, to: Direction): Promise<Record<string, unknown>> {
  const { workload, signal } = context;
  const cutover = workload.cutover;
  if (!cutover) return { strategy: "none" };
  const source = planHost(context, workload.source).address;
  const target = planHost(context, workload.target).address;
  const [from, toAddress] = to === "target" ? [source, target] : [target, source];

  if (cutover.strategy === "proxy") {
    const gateway = await context.remote(cutover.gateway);
    const content = await readRemoteFile(gateway, cutover.upstreamFile, signal);
    const now = upstreamPointsAt(content.toString("utf8"), source, target);
    if (now === to)
      return { strategy: "proxy", gateway: cutover.gateway, changed: false, pointsAt: toAddress };
    const saved = await readState<{ content: string }>(context, UPSTREAM_STATE);
    let next: Buffer;
    if (to === "target") {
      if (now !== "source") throw unknownUpstream(gateway.host, cutover.upstreamFile, source, target);
      // The exact old bytes are kept for undo, in the work directory before anything changes.
      await writeState(context, UPSTREAM_STATE, { content: content.toString("base64") });
      next = Buffer.from(repointUpstream(content.toString("utf8"), from, toAddress, cutover.upstreamPort));
    } else if (saved) {
      next = Buffer.from(saved.content, "base64");
    } else {
      if (now !== "target") throw unknownUpstream(gateway.host, cutover.upstreamFile, source, target);
      next = Buffer.from(repointUpstream(content.toString("utf8"), from, toAddress, cutover.upstreamPort));
    }
    await installUpstream(gateway, cutover.upstreamFile, next, signal);
    return { strategy: "proxy", gateway: cutover.gateway, changed: true, pointsAt: toAddress };
  }
  if (cutover.strategy === "dns") {
    await pointRecord(cutover, toAddress, signal);
    return { strategy: "dns", record: cutover.record, pointsAt: toAddress };
  }
  const remote = await context.remote(cutover.host);
  await remote.check(sh`sh -c ${to === "target" ? cutover.run : cutover.undo}`, {
    signal,
    timeoutMs: 10 * QUICK_MS,
  });
  return { strategy: "command", host: cutover.host };
}

function unknownUpstream(host: string, file: string, source: string, target: string): RemoteError {
  return new RemoteError(
    "remote",
    `${file} on ${host} names neither the source (${source}) nor the target (${target}) alone as a server`,
    { host, command: "read upstream", exitCode: 0 },
    { retryable: false, hint: "make the upstream file list the source's address in a `server` line" },
  );
}
