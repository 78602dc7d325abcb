/**
 * nginx upstream files (pure): find the `upstream NAME { … }` blocks, tell where one points, and
 * repoint only the blocks that belong to a workload. Every other block and line stays as the
 * operator wrote it, so two workloads sharing one gateway file never touch each other's servers.
 */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** `server <address>[:port]`; with `port`, only that port (no port is nginx's 80). */
function serverPattern(address: string, port?: number): RegExp {
  const ports = port === undefined ? "(?::(\\d+))?" : port === 80 ? "(?::(80))?" : `:(${port})`;
  return new RegExp(`(\\bserver\\s+)${escapeRegExp(address)}${ports}(?=[\\s;])`, "g");
}

export type UpstreamState = "source" | "target" | "unknown";

export interface UpstreamBlock {
  name: string;
  /** Offsets of the whole block, `upstream` to its closing brace, in the file's text. */
  start: number;
  end: number;
  text: string;
}

/** Every upstream block of a file, in order (upstream blocks hold no nested braces). */
export function parseUpstreams(content: string): UpstreamBlock[] {
  const blocks: UpstreamBlock[] = [];
  const opener = /(^|[;{}\s])upstream\s+([^\s{;]+)\s*\{/g;
  for (let match = opener.exec(content); match !== null; match = opener.exec(content)) {
    const start = match.index + (match[1] as string).length;
    const close = content.indexOf("}", opener.lastIndex);
    if (close === -1) break;
    const end = close + 1;
    blocks.push({ name: match[2] as string, start, end, text: content.slice(start, end) });
    opener.lastIndex = end;
  }
  return blocks;
}

/** Where a block (or any text) sends traffic: to the source alone, the target alone, or neither. */
export function upstreamPointsAt(
  content: string,
  sourceAddress: string,
  targetAddress: string,
  port?: number,
): UpstreamState {
  const toSource = serverPattern(sourceAddress, port).test(content);
  const toTarget = serverPattern(targetAddress, port).test(content);
  if (toSource && !toTarget) return "source";
  if (toTarget && !toSource) return "target";
  return "unknown";
}

/**
 * Every `server <from>:<port>` of the text (any port when `port` is undefined) becomes
 * `server <to>` with the port the line had: the workload's servers move, their ports stay.
 */
export function repointUpstream(content: string, from: string, to: string, port?: number): string {
  return content.replace(serverPattern(from, port), (_all, prefix: string, had: string | undefined) => {
    return `${prefix}${to}${had === undefined ? "" : `:${had}`}`;
  });
}

/** The file's text with some blocks' text replaced (blocks from parseUpstreams of that same text). */
export function replaceBlocks(content: string, replacements: ReadonlyMap<UpstreamBlock, string>): string {
  let out = "";
  let at = 0;
  for (const block of [...replacements.keys()].sort((a, b) => a.start - b.start)) {
    out += content.slice(at, block.start) + (replacements.get(block) as string);
    at = block.end;
  }
  return out + content.slice(at);
}

/**
 * The workload's blocks: those with a server line on the source's or the target's address at
 * the workload's port. A block for another port of the same host belongs to someone else.
 */
export function workloadBlocks(
  content: string,
  addresses: { source: string; target: string },
  port: number,
): UpstreamBlock[] {
  return parseUpstreams(content).filter(
    (block) => upstreamPointsAt(block.text, addresses.source, addresses.target, port) !== "unknown",
  );
}
