/** Pure parsers for listening TCP sockets: `ss -ltnpH` and, where ss is missing, `netstat -ltnp`. */
export interface ListenFacts {
  address: string;
  port: number;
  process?: string;
}

function splitAddress(local: string): { address: string; port: number } | undefined {
  const colon = local.lastIndexOf(":");
  if (colon < 0) return undefined;
  const port = Number(local.slice(colon + 1));
  if (!Number.isInteger(port)) return undefined;
  return {
    address: local
      .slice(0, colon)
      .replace(/^\[|\]$/g, "")
      .replace(/%.*$/, ""),
    port,
  };
}

function dedupe(sockets: ListenFacts[]): ListenFacts[] {
  const seen = new Set<string>();
  return sockets
    .filter((socket) => {
      const key = `${socket.address}:${socket.port}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.port - b.port || a.address.localeCompare(b.address));
}

/** `LISTEN 0 128 127.0.0.1:5432 0.0.0.0:* users:(("postgres",pid=1,fd=5))` */
export function parseSs(text: string): ListenFacts[] {
  const sockets: ListenFacts[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] !== "LISTEN" || !fields[3]) continue;
    const local = splitAddress(fields[3]);
    if (!local) continue;
    const process = /users:\(\("([^"]+)"/.exec(line)?.[1];
    sockets.push(process ? { ...local, process } : local);
  }
  return dedupe(sockets);
}

/** `tcp 0 0 127.0.0.1:5432 0.0.0.0:* LISTEN 123/postgres` */
export function parseNetstat(text: string): ListenFacts[] {
  const sockets: ListenFacts[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (!fields[0]?.startsWith("tcp") || fields[5] !== "LISTEN" || !fields[3]) continue;
    const local = splitAddress(fields[3]);
    if (!local) continue;
    const process = fields[6]?.split("/")[1];
    sockets.push(process ? { ...local, process } : local);
  }
  return dedupe(sockets);
}
