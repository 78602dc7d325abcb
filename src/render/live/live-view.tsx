/**
 * The live screen: finished workloads scroll above (<Static>, printed once), the live area shows
 * waves → bureaus → workloads in flight, failures with their reason, totals and the key help.
 */
import { Box, Static, Text } from "ink";
import { useSyncExternalStore } from "react";
import { formatBytes } from "../../plan/bytes.ts";
import { formatTime } from "../../plan/time.ts";
import { formatClock } from "../format.ts";
import { byBureau, totals, type WorkloadView } from "../run-state.ts";
import { ABORT_HINT, STOPPING } from "../types.ts";
import type { RunStore } from "./store.ts";
import { useNow } from "./use-now.ts";
import { FinishedWorkload, LiveWorkload } from "./workload-line.tsx";

export interface LiveViewProps {
  store: RunStore;
  title: string;
  /** The plan's zone, for the start time in the heading. */
  timeZone: string;
  resumeCommand?: string;
  interactive: boolean;
  /** Final frame: no clocks, no key help. */
  final?: boolean;
  closing?: string;
}

export function LiveView({
  store,
  title,
  timeZone,
  resumeCommand,
  interactive,
  final,
  closing,
}: LiveViewProps) {
  useSyncExternalStore(store.subscribe, store.getVersion);
  const now = useNow(final ? 3_600_000 : 500);
  const state = store.state;
  const finished = state.finished
    .map((name) => state.workloads.get(name))
    .filter((view): view is WorkloadView => view !== undefined);
  const t = totals(state);
  const waves = [...state.waves.entries()].sort(([a], [b]) => a - b);
  const elapsed =
    state.startedAt !== undefined ? formatClock((state.endedAt ?? now) - state.startedAt) : "0:00";
  const started = state.startedAt !== undefined ? ` · started ${formatTime(state.startedAt, timeZone)}` : "";

  return (
    <Box flexDirection="column">
      <Static items={finished}>{(view) => <FinishedWorkload key={view.name} view={view} />}</Static>
      <Text
        bold
      >{`migrate ${title}${state.runId ? ` · run ${state.runId}` : ""} · elapsed ${elapsed}${started}`}</Text>
      {waves.map(([wave, status]) => {
        const members = [...state.workloads.values()].filter((view) => view.wave === wave);
        const live = members.filter((view) => !state.finished.includes(view.name));
        const bureaus = byBureau(members).map(([bureau]) => bureau);
        if (status !== "running") {
          return (
            <Text key={wave} color={status === "done" ? "green" : "gray"}>
              {`Wave ${wave} · ${status} · ${members.length} workload(s) · ${bureaus.join(", ")}`}
            </Text>
          );
        }
        return (
          <Box key={wave} flexDirection="column">
            <Text
              color="cyan"
              bold
            >{`Wave ${wave} · running · ${members.length - live.length}/${members.length} done`}</Text>
            {byBureau(live).map(([bureau, views]) => (
              <Box key={bureau} flexDirection="column">
                <Text>{`  ${bureau}`}</Text>
                {views.map((view) => (
                  <LiveWorkload key={view.name} view={view} now={now} />
                ))}
              </Box>
            ))}
          </Box>
        );
      })}
      {state.messages.map((m) => (
        <Text key={m.seq} color={m.level === "error" ? "red" : m.level === "warn" ? "yellow" : "gray"}>
          {`${m.level}${m.workload ? ` ${m.workload}` : ""}: ${m.message}`}
        </Text>
      ))}
      <Text bold>
        {`Totals: ${t.counts.succeeded}/${t.planned} succeeded · ${t.counts.failed} failed · ${t.counts["rolled-back"]} rolled back · ${t.counts.running} running · ${formatBytes(t.bytesMoved)} moved`}
      </Text>
      {state.stopping && !final ? <Text color="yellow">{STOPPING}</Text> : null}
      {state.stopping && !final && resumeCommand ? (
        <Text color="yellow">{`resume with: ${resumeCommand}`}</Text>
      ) : null}
      {state.stopping && !final && interactive ? <Text dimColor>{ABORT_HINT}</Text> : null}
      {state.status === "interrupted" && resumeCommand ? (
        <Text color="yellow">{`Interrupted. Resume with: ${resumeCommand}`}</Text>
      ) : null}
      {closing ? <Text>{closing}</Text> : null}
      {interactive && !final && !state.stopping ? <Text dimColor>q or Ctrl-C: stop gracefully</Text> : null}
    </Box>
  );
}
