/** One workload: live (current step, transfer bar, downtime clock) or finished (one summary line). */
import { Box, Text } from "ink";
import { formatBytes } from "../../plan/bytes.ts";
import { formatClock, formatDuration, formatTransfer, progressBar } from "../format.ts";
import type { WorkloadView } from "../run-state.ts";

const NAME_WIDTH = 24;

function pad(text: string, width: number): string {
  return text.length >= width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

function budget(view: WorkloadView): string {
  return view.downtimeBudgetMs !== undefined ? ` / budget ${formatClock(view.downtimeBudgetMs)}` : "";
}

export function LiveWorkload({ view, now }: { view: WorkloadView; now: number }) {
  const step = view.step ? `${view.step}${view.stepDone ? " ✓" : ""}` : "waiting";
  const frozen = view.frozenAt !== undefined;
  return (
    <Box flexDirection="column">
      <Box>
        <Text>{`    ${pad(view.name, NAME_WIDTH)} `}</Text>
        <Text color={view.status === "running" ? "cyan" : "gray"}>{pad(step, 12)}</Text>
        {view.attempt > 1 ? <Text color="yellow">{` attempt ${view.attempt}`}</Text> : null}
        {view.progress ? (
          <Text>{` ${progressBar(view.progress.bytesDone, view.progress.bytesTotal)} ${formatTransfer(view.progress)}`}</Text>
        ) : null}
        {frozen ? (
          <Text
            color="yellow"
            bold
          >{` DOWNTIME ${formatClock(now - (view.frozenAt ?? now))}${budget(view)}`}</Text>
        ) : null}
      </Box>
      {view.status === "running"
        ? Object.entries(view.replication ?? {}).map(([database, lag]) => (
            <Text key={database} dimColor>
              {`      ${database}: replication ${lag.phase}, lag ${formatBytes(lag.bytes)}${lag.seconds === null ? "" : ` / ${lag.seconds.toFixed(1)} s`}`}
            </Text>
          ))
        : null}
      {view.lastFailure && view.status === "running" ? (
        <Text color={view.lastFailure.willRetry ? "yellow" : "red"}>
          {`      ${view.lastFailure.step} failed${view.lastFailure.willRetry ? ", retrying" : ""}: ${view.lastFailure.message}`}
        </Text>
      ) : null}
      {view.lastFailure?.hint && !view.lastFailure.willRetry && view.status === "running" ? (
        <Text color="yellow">{`      hint: ${view.lastFailure.hint}`}</Text>
      ) : null}
    </Box>
  );
}

const MARK: Record<string, [string, string]> = {
  succeeded: ["✔", "green"],
  failed: ["✘", "red"],
  "rolled-back": ["↺", "yellow"],
  interrupted: ["■", "yellow"],
  skipped: ["–", "gray"],
};

export function FinishedWorkload({ view }: { view: WorkloadView }) {
  const [mark, colour] = MARK[view.status] ?? ["?", "white"];
  const details = [`wave ${view.wave}`, view.bureau];
  if (view.bytesMoved > 0) details.push(`${formatBytes(view.bytesMoved)} moved`);
  if (view.bytesInPlace > 0) details.push(`${formatBytes(view.bytesInPlace)} found in place`);
  if (view.downtimeMs !== undefined)
    details.push(`downtime ${formatDuration(view.downtimeMs)}${budget(view)}`);
  return (
    <Box flexDirection="column">
      <Box>
        <Text color={colour}>{`${mark} ${pad(view.name, NAME_WIDTH)} ${pad(view.status, 12)}`}</Text>
        <Text dimColor>{details.join(" · ")}</Text>
        {view.reason ? <Text color="red">{`  ${view.reason}`}</Text> : null}
      </Box>
      {view.hint ? <Text color="yellow">{`  hint: ${view.hint}`}</Text> : null}
    </Box>
  );
}
