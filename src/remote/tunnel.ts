/**
 * An SSH tunnel the orchestrator holds between two hosts that cannot reach each other: a
 * listener on the target host's loopback (ssh2 forwardIn, `ssh -R`) whose every connection is
 * piped through this process into a forwardOut (`ssh -L`) on the source's connection to a port
 * on the source. Bureau networks open SSH and nothing else, so this is the only path from the
 * target's database to the source's. A tunnel lives as long as both connections: it is kept
 * per connection pair and port, so steps of one run share it, and a resumed run opens a new one
 * (its port may differ; callers point their client at `endpoint.port` again).
 *
 * Every byte through the tunnel, both ways, takes from the run's bandwidth budget (a meter) and
 * is counted once per direction, as the link between the two hosts carries it once: a database's
 * initial copy through the tunnel draws on the same budget as the file transfers.
 */
import { type Duplex, Transform, type TransformCallback } from "node:stream";
import type { Client, TcpConnectionDetails } from "ssh2";
import { RemoteError } from "../errors.ts";
import type { Remote } from "./types.ts";

export interface Tunnel {
  /** Where clients on the target host connect. */
  readonly endpoint: { host: string; port: number };
  /** Connections accepted so far (tests, diagnostics). */
  readonly accepted: () => number;
  /** Bytes carried so far, both directions (progress of a seed through the tunnel). */
  readonly bytes: () => number;
  close(): Promise<void>;
}

/** The run's bandwidth budget as the tunnel draws on it (transfer/types.ts Throttle). */
export interface TunnelMeter {
  take(bytes: number, signal?: AbortSignal): Promise<void>;
}

const UNMETERED: TunnelMeter = { take: async () => {} };

/** Passes chunks on once the meter granted them, counting them. */
class Metered extends Transform {
  constructor(
    private readonly meter: TunnelMeter,
    private readonly count: (bytes: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.meter.take(chunk.length).then(
      () => {
        this.count(chunk.length);
        callback(null, chunk);
      },
      (error: unknown) => callback(error as Error),
    );
  }
}

const LOOPBACK = "127.0.0.1";
const open = new Map<string, Promise<Tunnel>>();
const clientIds = new WeakMap<Client, number>();
let nextId = 0;

function idOf(client: Client): number {
  let id = clientIds.get(client);
  if (id === undefined) {
    id = nextId++;
    clientIds.set(client, id);
  }
  return id;
}

async function connectionOf(remote: Remote, signal?: AbortSignal): Promise<Client> {
  if (!remote.connection) {
    throw new RemoteError(
      "remote",
      `host ${remote.host} is not reached over SSH, so no tunnel can be opened`,
      { host: remote.host, command: "ssh tunnel", exitCode: null },
      { retryable: false },
    );
  }
  return await remote.connection(signal);
}

function tunnelError(remote: Remote, what: string, error: unknown): RemoteError {
  const reason = error instanceof Error ? error.message : String(error);
  return new RemoteError(
    "remote",
    `cannot ${what} on ${remote.host}: ${reason}`,
    { host: remote.host, command: "ssh tunnel", exitCode: null },
    {
      retryable: false,
      hint: "the host's sshd must allow remote forwarding (AllowTcpForwarding yes or remote) for the replication tunnel",
    },
  );
}

/** Pipe one accepted connection into a fresh forwardOut; either side closing closes both. */
function bridge(
  inbound: Duplex,
  source: Client,
  to: { host: string; port: number },
  meter: TunnelMeter,
  count: (bytes: number) => void,
): void {
  source.forwardOut(LOOPBACK, 0, to.host, to.port, (error, outbound) => {
    if (error) {
      inbound.destroy();
      return;
    }
    const up = new Metered(meter, count);
    const down = new Metered(meter, count);
    inbound.pipe(up).pipe(outbound);
    outbound.pipe(down).pipe(inbound);
    const end = () => {
      up.destroy();
      down.destroy();
      inbound.destroy();
      outbound.destroy();
    };
    up.on("error", end);
    down.on("error", end);
    inbound.on("error", end).on("close", end);
    outbound.on("error", end).on("close", end);
  });
}

async function openTunnel(
  sourceClient: Client,
  targetClient: Client,
  target: Remote,
  to: { host: string; port: number },
  meter: TunnelMeter,
): Promise<Tunnel> {
  let accepted = 0;
  let bytes = 0;
  const count = (n: number) => {
    bytes += n;
  };
  const onTcp = (details: TcpConnectionDetails, accept: () => Duplex, reject: () => void): void => {
    if (details.destPort !== port) {
      reject();
      return;
    }
    accepted++;
    bridge(accept(), sourceClient, to, meter, count);
  };
  const port = await new Promise<number>((resolve, reject) => {
    targetClient.forwardIn(LOOPBACK, 0, (error, bound) => {
      if (error) reject(tunnelError(target, "open the tunnel's listener", error));
      else resolve(bound);
    });
  });
  targetClient.on("tcp connection", onTcp);
  return {
    endpoint: { host: LOOPBACK, port },
    accepted: () => accepted,
    bytes: () => bytes,
    close: () =>
      new Promise<void>((resolve) => {
        targetClient.off("tcp connection", onTcp);
        targetClient.unforwardIn(LOOPBACK, port, () => resolve());
        // A connection that closed already has nothing to unforward.
        setTimeout(resolve, 1000).unref();
      }),
  };
}

/**
 * The tunnel from `target`'s loopback to `to` as seen from `source` (e.g. the source's database
 * port), opened once per live connection pair and kept until either connection closes. The
 * meter of the call that opens it is the one it draws on (one run, one budget).
 */
export async function holdTunnel(
  source: Remote,
  target: Remote,
  to: { host: string; port: number },
  signal?: AbortSignal,
  meter: TunnelMeter = UNMETERED,
): Promise<Tunnel> {
  const [sourceClient, targetClient] = await Promise.all([
    connectionOf(source, signal),
    connectionOf(target, signal),
  ]);
  const key = `${idOf(sourceClient)}>${idOf(targetClient)}>${to.host}:${to.port}`;
  let tunnel = open.get(key);
  if (!tunnel) {
    const forget = () => open.delete(key);
    // A closed tunnel is forgotten, so the next caller opens a fresh one.
    tunnel = openTunnel(sourceClient, targetClient, target, to, meter).then((opened) => ({
      ...opened,
      close: () => {
        forget();
        return opened.close();
      },
    }));
    open.set(key, tunnel);
    tunnel.catch(forget);
    sourceClient.once("close", forget);
    targetClient.once("close", forget);
  }
  return await tunnel;
}
