/**
 * A rehearsal runs the plan's verify checks against the target directly, never through the
 * traffic path (which still leads to the source). An http check addressed to the gateway of a
 * proxy switch is sent to the target at the upstream port, its path mapped the way the
 * gateway's nginx maps it (`location /portal/ { proxy_pass http://portal/; }` turns
 * `/portal/health` into `/health`), read from `nginx -T` on the gateway; one addressed to a DNS
 * record's name goes to the target's address. Everything else is already about the target.
 */
import type { CheckInput, CutoverInput } from "./inputs.ts";
import { workloadBlocks } from "./traffic/upstream.ts";

/** A prefix `location` of the gateway and where it proxies to. */
export interface ProxyLocation {
  prefix: string;
  upstream: string;
  /** The URI part of proxy_pass (replaces the prefix), absent when the path passes unchanged. */
  uri?: string;
}

/** Prefix locations with a `proxy_pass http://NAME[URI];` in `nginx -T` output. */
export function proxyLocations(config: string): ProxyLocation[] {
  const found: ProxyLocation[] = [];
  const opener = /location\s+(?:\^~\s+)?(\/[^\s{]*)\s*\{/g;
  for (let match = opener.exec(config); match !== null; match = opener.exec(config)) {
    const close = config.indexOf("}", opener.lastIndex);
    const body = config.slice(opener.lastIndex, close === -1 ? undefined : close);
    const pass = /proxy_pass\s+https?:\/\/([^/\s;:]+)(\/[^\s;]*)?\s*;/.exec(body);
    if (!pass) continue;
    const location: ProxyLocation = { prefix: match[1] as string, upstream: pass[1] as string };
    if (pass[2] !== undefined) location.uri = pass[2];
    found.push(location);
  }
  return found;
}

/** The URL that reaches the target directly, or a reason why none can be derived. */
export type TargetUrl = { url: string } | { reason: string };

/**
 * The gateway URL's equivalent on the target: the longest prefix location that proxies to one
 * of the workload's upstream blocks decides the path, as nginx would.
 */
export function proxiedToTarget(
  url: string,
  input: CutoverInput,
  upstreamFile: string,
  config: string,
): TargetUrl {
  const traffic = input.traffic;
  if (traffic.strategy !== "proxy") return { url };
  const parsed = new URL(url);
  const names = new Set(
    workloadBlocks(
      upstreamFile,
      { source: input.source.address, target: input.target.address },
      traffic.upstreamPort,
    ).map((block) => block.name),
  );
  const match = proxyLocations(config)
    .filter((location) => names.has(location.upstream) && parsed.pathname.startsWith(location.prefix))
    .sort((a, b) => b.prefix.length - a.prefix.length)[0];
  if (!match) {
    return {
      reason: `no location on the gateway ${traffic.gateway.name} proxies ${parsed.pathname} to this workload's upstream; a rehearsal checks the target directly and cannot tell which path to request there`,
    };
  }
  const path =
    match.uri === undefined ? parsed.pathname : match.uri + parsed.pathname.slice(match.prefix.length);
  return { url: `http://${input.target.address}:${traffic.upstreamPort}${path}${parsed.search}` };
}

/** Whether an http check is addressed to the traffic path (the gateway or the switched name). */
export function viaTrafficPath(check: Extract<CheckInput, { kind: "http" }>, input: CutoverInput): boolean {
  const host = new URL(check.requestUrl).hostname;
  const traffic = input.traffic;
  if (traffic.strategy === "proxy") return host === traffic.gateway.address || host === traffic.gateway.name;
  if (traffic.strategy === "dns") {
    const name = traffic.record.endsWith(".")
      ? traffic.record.slice(0, -1)
      : `${traffic.record}.${traffic.zone}`;
    return host === name || host === traffic.record;
  }
  return false;
}

/** A DNS-switched URL with the record's name replaced by the target's address. */
export function dnsToTarget(url: string, input: CutoverInput): string {
  const parsed = new URL(url);
  parsed.hostname = input.target.address;
  return parsed.toString();
}
