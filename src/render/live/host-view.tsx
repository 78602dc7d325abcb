/** Live table of per-host work (inventory) on stderr; finished when every host has answered. */
import { Box, render, Text } from "ink";
import { useSyncExternalStore } from "react";
import { formatDuration } from "../format.ts";
import type { HostProgress, HostRow, HostTable } from "../host-progress.ts";
import { useNow } from "./use-now.ts";

const MARK: Record<HostRow["state"], [string, string]> = {
  waiting: ["·", "gray"],
  running: ["…", "cyan"],
  ok: ["✔", "green"],
  failed: ["✘", "red"],
};

function HostView({
  table,
  title,
  subscribe,
  version,
}: {
  table: HostTable;
  title: string;
  subscribe: (l: () => void) => () => void;
  version: () => number;
}) {
  useSyncExternalStore(subscribe, version);
  const now = useNow(250);
  const counts = table.counts();
  return (
    <Box flexDirection="column">
      <Text bold>{`migrate ${title}`}</Text>
      {[...table.rows.values()].map((row) => {
        const [mark, colour] = MARK[row.state];
        const time =
          row.durationMs !== undefined
            ? formatDuration(row.durationMs)
            : row.startedAt !== undefined
              ? formatDuration(now - row.startedAt)
              : "";
        return (
          <Box key={row.name}>
            <Text
              color={colour}
            >{`${mark} ${row.name.padEnd(20)} ${row.role.padEnd(7)} ${row.state.padEnd(8)} ${time.padEnd(9)}`}</Text>
            {row.detail ? <Text color="red">{row.detail}</Text> : null}
          </Box>
        );
      })}
      <Text
        bold
      >{`Hosts: ${counts.ok} ok · ${counts.failed} unreachable · ${counts.running} asking · ${counts.waiting} waiting`}</Text>
    </Box>
  );
}

export function startHostView(table: HostTable, title: string, stderr: NodeJS.WriteStream): HostProgress {
  let version = 0;
  const listeners = new Set<() => void>();
  const subscribe = (listener: () => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  const changed = () => {
    version += 1;
    for (const listener of listeners) listener();
  };
  const instance = render(
    <HostView table={table} title={title} subscribe={subscribe} version={() => version} />,
    {
      stdout: stderr,
      patchConsole: false,
      exitOnCtrlC: false,
    },
  );
  return {
    start(host) {
      table.start(host);
      changed();
    },
    end(host, ok, detail) {
      table.end(host, ok, detail);
      changed();
    },
    async close() {
      instance.unmount();
      await instance.waitUntilExit().catch(() => {});
    },
  };
}
