/**
 * One SSH connection per host, opened on first use and shared by every command to that host,
 * with a bound on channels open at once (OpenSSH's MaxSessions defaults to 10). A dropped
 * connection is forgotten and reopened on next use; a bastion's connection is shared by all the
 * hosts behind it.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import type { Client } from "ssh2";
import { BugError, UserError } from "../errors.ts";
import type { Host, Plan } from "../plan/schema.ts";
import type { OnCommand } from "./audit.ts";
import { Semaphore } from "./semaphore.ts";
import { type ConnectionSettings, connectHost } from "./ssh-connection.ts";
import { mapConnectError } from "./ssh-errors.ts";
import { SshRemote } from "./ssh-remote.ts";

export const DEFAULT_MAX_CHANNELS = 8;

export interface SshPoolOptions extends Partial<ConnectionSettings> {
  hosts: readonly Host[];
  maxChannelsPerConnection?: number;
  onCommand?: OnCommand;
  /**
   * false: a host that failed to connect keeps failing with the same error instead of being
   * tried again on next use (one-shot commands such as inventory try each host once).
   */
  retryFailedConnections?: boolean;
}

interface Entry {
  host: Host;
  semaphore: Semaphore;
  client?: Promise<Client>;
  remote?: SshRemote;
}

/** Every host a plan names: sources and every tenant's hosts. */
export function planHosts(plan: Plan): Host[] {
  return [...plan.sources, ...plan.tenants.flatMap((tenant) => tenant.hosts)];
}

/** known_hosts used when a host has no pinned key: MIGRATE_KNOWN_HOSTS, else ~/.ssh/known_hosts. */
export function defaultKnownHostsFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.MIGRATE_KNOWN_HOSTS || join(homedir(), ".ssh", "known_hosts");
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

export class SshPool {
  private readonly entries = new Map<string, Entry>();
  private readonly settings: ConnectionSettings;
  private readonly lifetime = new AbortController();
  private readonly onCommand: OnCommand | undefined;
  private readonly retryFailed: boolean;

  constructor(options: SshPoolOptions) {
    const env = options.env ?? process.env;
    this.settings = {
      knownHostsFile: options.knownHostsFile ?? defaultKnownHostsFile(env),
      acceptNewHostKeys: options.acceptNewHostKeys ?? false,
      connectTimeoutMs: options.connectTimeoutMs ?? 15_000,
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? 10_000,
      keepaliveCountMax: options.keepaliveCountMax ?? 3,
      env,
      ...(options.onHostKeyRecorded ? { onHostKeyRecorded: options.onHostKeyRecorded } : {}),
    };
    this.onCommand = options.onCommand;
    this.retryFailed = options.retryFailedConnections ?? true;
    const limit = options.maxChannelsPerConnection ?? DEFAULT_MAX_CHANNELS;
    for (const host of options.hosts) {
      this.entries.set(host.name, { host, semaphore: new Semaphore(limit) });
    }
  }

  private entry(name: string): Entry {
    const entry = this.entries.get(name);
    if (!entry) throw new UserError("usage", `host ${name} is not in the plan`);
    return entry;
  }

  /** The Remote for a host; it connects lazily on its first command. */
  remote(name: string): SshRemote {
    const entry = this.entry(name);
    entry.remote ??= new SshRemote(name, {
      connection: (signal) => this.connection(name, signal),
      semaphore: entry.semaphore,
      ...(this.onCommand ? { onCommand: this.onCommand } : {}),
      ...(entry.host.become ? { become: entry.host.become } : {}),
    });
    return entry.remote;
  }

  /** Connect now (or reuse the live connection); rejects with a typed error. */
  async connection(name: string, signal?: AbortSignal): Promise<Client> {
    const entry = this.entry(name);
    if (this.lifetime.signal.aborted) throw new BugError("the SSH pool is used after close()");
    if (!entry.client) {
      // The shared attempt follows the pool's lifetime, not one caller's signal: a caller that
      // gives up must not fail the others waiting on the same connection.
      const attempt = this.open(entry.host);
      entry.client = attempt;
      attempt.then(
        (client) => {
          client.once("close", () => {
            if (entry.client === attempt) entry.client = undefined;
          });
          if (this.lifetime.signal.aborted) client.end();
        },
        () => {
          if (entry.client === attempt && this.retryFailed) entry.client = undefined;
        },
      );
    }
    return await abortable(entry.client, signal);
  }

  private async open(host: Host): Promise<Client> {
    const signal = this.lifetime.signal;
    if (!host.via) return await connectHost({ host, settings: this.settings, signal });
    const bastion = await this.connection(host.via, signal);
    const sock = await this.forward(bastion, host);
    return await connectHost({ host, settings: this.settings, sock, signal });
  }

  /** A direct-tcpip channel from the bastion to the host (what `ssh -J` does). */
  private forward(bastion: Client, host: Host): Promise<Duplex> {
    const context = {
      host: host.name,
      address: host.address,
      port: host.port,
      ...(host.via ? { via: host.via } : {}),
    };
    return new Promise<Duplex>((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        reject(
          mapConnectError(Object.assign(new Error("forwarding timed out"), { code: "ETIMEDOUT" }), context),
        );
      }, this.settings.connectTimeoutMs);
      bastion.forwardOut("127.0.0.1", 0, host.address, host.port, (error, stream) => {
        clearTimeout(timer);
        if (late) stream?.destroy();
        else if (error) reject(mapConnectError(error, context));
        else resolve(stream);
      });
    });
  }

  /** Start connecting to these hosts now; failures surface on their first use. */
  prewarm(names: readonly string[]): void {
    for (const name of names) this.connection(name).catch(() => {});
  }

  /** Close every connection; the pool cannot be used afterwards. */
  async close(): Promise<void> {
    this.lifetime.abort();
    const clients = [...this.entries.values()].map((entry) => entry.client).filter((c) => c !== undefined);
    const settled = await Promise.allSettled(clients);
    await Promise.all(
      settled.map((result) =>
        result.status === "fulfilled"
          ? new Promise<void>((resolve) => {
              result.value.once("close", () => resolve());
              result.value.end();
              setTimeout(resolve, 1000).unref();
            })
          : undefined,
      ),
    );
  }
}
