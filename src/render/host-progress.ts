/**
 * Progress of per-host work (inventory): which hosts are being asked, which answered and which
 * could not be reached, with the reason. Same modes as the run renderer: a live view on a
 * terminal (stderr), one plain line per finished host otherwise; json and github print nothing
 * here because the command's own output on stdout is the data.
 */
import { colourWanted, palette } from "./colour.ts";
import { formatDuration } from "./format.ts";
import { wantsLiveView } from "./index.ts";
import type { OutputMode } from "./types.ts";

export type HostState = "waiting" | "running" | "ok" | "failed";

export interface HostRow {
  name: string;
  role: string;
  state: HostState;
  startedAt?: number;
  durationMs?: number;
  detail?: string;
}

export interface HostProgress {
  start(host: string): void;
  end(host: string, ok: boolean, detail?: string): void;
  close(): Promise<void>;
}

export interface HostProgressOptions {
  mode: OutputMode;
  title: string;
  hosts: { name: string; role: string }[];
  stderr?: NodeJS.WriteStream;
  isTTY?: boolean;
  noColor?: boolean;
  now?: () => number;
}

/** The host table both views render from. */
export class HostTable {
  readonly rows: Map<string, HostRow>;
  constructor(
    hosts: { name: string; role: string }[],
    private readonly now: () => number,
  ) {
    this.rows = new Map(hosts.map((h) => [h.name, { ...h, state: "waiting" as HostState }]));
  }
  start(host: string): HostRow {
    const row = this.row(host);
    Object.assign(row, { state: "running", startedAt: this.now() });
    return row;
  }
  end(host: string, ok: boolean, detail?: string): HostRow {
    const row = this.row(host);
    const durationMs = row.startedAt === undefined ? undefined : this.now() - row.startedAt;
    Object.assign(row, { state: ok ? "ok" : "failed", durationMs, detail });
    return row;
  }
  counts(): Record<HostState, number> {
    const counts: Record<HostState, number> = { waiting: 0, running: 0, ok: 0, failed: 0 };
    for (const row of this.rows.values()) counts[row.state] += 1;
    return counts;
  }
  private row(host: string): HostRow {
    let row = this.rows.get(host);
    if (!row) {
      row = { name: host, role: "?", state: "waiting" };
      this.rows.set(host, row);
    }
    return row;
  }
}

export async function createHostProgress(options: HostProgressOptions): Promise<HostProgress> {
  const stderr = options.stderr ?? process.stderr;
  const isTTY = options.isTTY ?? Boolean(stderr.isTTY);
  const table = new HostTable(options.hosts, options.now ?? Date.now);
  if (options.mode === "auto" && wantsLiveView(isTTY)) {
    const { startHostView } = await import("./live/host-view.tsx");
    return startHostView(table, options.title, stderr);
  }
  if (options.mode === "json" || options.mode === "github") {
    return {
      start: (host) => void table.start(host),
      end: (host, ok, d) => void table.end(host, ok, d),
      close: async () => {},
    };
  }
  const c = palette(options.noColor === undefined ? colourWanted(isTTY) : isTTY && !options.noColor);
  return {
    start: (host) => void table.start(host),
    end(host, ok, detail) {
      const row = table.end(host, ok, detail);
      const took = row.durationMs === undefined ? "" : ` in ${formatDuration(row.durationMs)}`;
      const status = ok ? c.green("ok") : c.red("unreachable");
      stderr.write(`${row.name} (${row.role}): ${status}${took}${detail ? `: ${detail}` : ""}\n`);
    },
    close: async () => {},
  };
}
