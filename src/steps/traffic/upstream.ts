/**
 * Rewriting an nginx upstream file from the source's address to the target's (pure), keeping
 * the upstream's name and every other line as the operator wrote them.
 */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function serverPattern(address: string): RegExp {
  return new RegExp(`(\\bserver\\s+)${escapeRegExp(address)}(?::\\d+)?(?=[\\s;])`, "g");
}

export type UpstreamState = "source" | "target" | "unknown";

export function upstreamPointsAt(
  content: string,
  sourceAddress: string,
  targetAddress: string,
): UpstreamState {
  const toSource = serverPattern(sourceAddress).test(content);
  const toTarget = serverPattern(targetAddress).test(content);
  if (toSource && !toTarget) return "source";
  if (toTarget && !toSource) return "target";
  return "unknown";
}

/** Every `server <from>[:port]` becomes `server <to>:<port>`. */
export function repointUpstream(content: string, from: string, to: string, port: number): string {
  return content.replace(serverPattern(from), `$1${to}:${port}`);
}
