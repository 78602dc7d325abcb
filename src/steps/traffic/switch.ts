/**
 * Switching a workload's traffic between source and target per its cutover strategy. Each
 * direction is idempotent: pointing at where traffic already goes changes nothing (a proxy is
 * still reloaded, in case an interrupted switch renamed the file but never reloaded nginx).
 *
 * Proxy: only the workload's upstream blocks move (those with a server line on the source's or
 * the target's address at the workload's port), each line keeping its port; other blocks in the
 * same file — other workloads', other ports of the same host — stay as they are, and a rollback
 * moves back only the workload's own lines. Switches on one gateway run one at a time: in this
 * process through a per-gateway queue, across processes through the install's lock and its
 * check that the file is still what the switch was computed from.
 */
import { createHash } from "node:crypto";
import { RemoteError } from "../../errors.ts";
import { sh } from "../../remote/shell.ts";
import type { Remote } from "../../remote/types.ts";
import type { CutoverInput, TrafficSwitch } from "../inputs.ts";
import { QUICK_MS } from "../support.ts";
import type { StepContext } from "../types.ts";
import { pointRecord } from "./dns.ts";
import { installUpstream, readRemoteFile, UpstreamChanged } from "./proxy.ts";
import { replaceBlocks, repointUpstream, upstreamPointsAt, workloadBlocks } from "./upstream.ts";

export type Direction = "target" | "source";

type Proxy = Extract<TrafficSwitch, { strategy: "proxy" }>;

/** One queue per gateway host: a switch waits for the one before it on the same gateway. */
const gatewayQueues = new Map<string, Promise<unknown>>();

function onGateway<T>(gateway: string, work: () => Promise<T>): Promise<T> {
  const before = gatewayQueues.get(gateway) ?? Promise.resolve();
  const mine = before.then(work, work);
  const settled = mine.catch(() => {});
  gatewayQueues.set(gateway, settled);
  void settled.then(() => {
    if (gatewayQueues.get(gateway) === settled) gatewayQueues.delete(gateway);
  });
  return mine;
}

function addresses(input: CutoverInput): { source: string; target: string } {
  return { source: input.source.address, target: input.target.address };
}

/**
 * Before the source is frozen: the proxy's upstream file must name the workload's blocks on
 * exactly one side, so a switch can never fail for a reason known beforehand.
 */
export async function checkSwitchable(input: CutoverInput, context: StepContext): Promise<void> {
  const cutover = input.traffic;
  if (cutover.strategy !== "proxy") return;
  const gateway = await context.remote(cutover.gateway.name);
  const content = (await readRemoteFile(gateway, cutover.upstreamFile, context.signal)).toString("utf8");
  const where = addresses(input);
  const blocks = workloadBlocks(content, where, cutover.upstreamPort);
  const states = new Set(blocks.map((block) => upstreamPointsAt(block.text, where.source, where.target)));
  if (blocks.length === 0 || states.has("unknown") || states.size > 1)
    throw unknownUpstream(gateway.host, cutover, where);
}

async function switchProxy(
  input: CutoverInput,
  context: StepContext,
  cutover: Proxy,
  to: Direction,
): Promise<Record<string, unknown>> {
  const { signal } = context;
  const where = addresses(input);
  const [from, toAddress] = to === "target" ? [where.source, where.target] : [where.target, where.source];
  const gateway = await context.remote(cutover.gateway.name);
  for (let attempt = 1; ; attempt++) {
    const content = (await readRemoteFile(gateway, cutover.upstreamFile, signal)).toString("utf8");
    const blocks = workloadBlocks(content, where, cutover.upstreamPort);
    const states = new Set(blocks.map((block) => upstreamPointsAt(block.text, where.source, where.target)));
    const base = { strategy: "proxy", gateway: cutover.gateway.name, blocks: blocks.map((b) => b.name) };
    if (blocks.length > 0 && states.size === 1 && states.has(to)) {
      await installUpstream(gateway, cutover.upstreamFile, undefined, undefined, signal);
      return { ...base, changed: false, pointsAt: toAddress };
    }
    if (blocks.length === 0 || states.has("unknown")) throw unknownUpstream(gateway.host, cutover, where);
    const next = replaceBlocks(
      content,
      new Map(
        blocks.map((block) => [block, repointUpstream(block.text, from, toAddress, cutover.upstreamPort)]),
      ),
    );
    const expected = createHash("sha256").update(content).digest("hex");
    try {
      await installUpstream(gateway, cutover.upstreamFile, Buffer.from(next), expected, signal);
      return { ...base, changed: true, pointsAt: toAddress };
    } catch (error) {
      // Another process switched another block of the same file meanwhile: read it again.
      if (!(error instanceof UpstreamChanged) || attempt >= 5) throw error;
    }
  }
}

export async function switchTraffic(
  input: CutoverInput,
  context: StepContext,
  to: Direction,
): Promise<Record<string, unknown>> {
  const { signal } = context;
  const cutover = input.traffic;
  if (cutover.strategy === "none") return { strategy: "none" };
  if (cutover.strategy === "proxy")
    return onGateway(cutover.gateway.name, () => switchProxy(input, context, cutover, to));
  const where = addresses(input);
  const toAddress = to === "target" ? where.target : where.source;
  if (cutover.strategy === "dns") {
    await pointRecord(cutover, toAddress, signal);
    return { strategy: "dns", record: cutover.record, pointsAt: toAddress };
  }
  const remote: Remote = await context.remote(cutover.host);
  await remote.check(sh`sh -c ${to === "target" ? cutover.run : cutover.undo}`, {
    signal,
    timeoutMs: 10 * QUICK_MS,
  });
  return { strategy: "command", host: cutover.host };
}

function unknownUpstream(
  host: string,
  cutover: Proxy,
  where: { source: string; target: string },
): RemoteError {
  const port = cutover.upstreamPort;
  return new RemoteError(
    "remote",
    `${cutover.upstreamFile} on ${host} has no upstream block whose servers at port ${port} point at the source (${where.source}) alone or at the target (${where.target}) alone`,
    { host, command: "read upstream", exitCode: 0 },
    {
      retryable: false,
      hint: `make the workload's upstream block list \`server ${where.source}:${port};\`, or set cutover.upstreamPort to the port it uses`,
    },
  );
}
