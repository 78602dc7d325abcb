/**
 * `migrate logs <plan> [run]`: pretty-print a run's structured log (default: the latest run),
 * from the plan's state directory or, with --state, from the lines runners wrote to the shared
 * state (there `--workload` keeps that workload's lines, its remote commands included).
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { runDir } from "../../engine/journal/state-dir.ts";
import { loggedRuns, runLogText } from "../../engine/state/log-lines.ts";
import { resolveStateUrl, type StateUrl } from "../../engine/state/state-url.ts";
import { UserError } from "../../errors.ts";
import { ExitCode } from "../../exit-codes.ts";
import type { LogLevel } from "../../log/levels.ts";
import { LOG_FILE } from "../../log/logger.ts";
import { formatLog, type LogFilter } from "../../log/pretty.ts";
import { loadPlanOrThrow } from "../../plan/load.ts";
import { colourWanted, palette } from "../../render/colour.ts";
import { type OutputFormat, outputFormat } from "../output-format.ts";
import { readPlanState } from "../paths.ts";
import { withStateDb } from "../state-session.ts";

export interface LogsOptions {
  stateDir?: string;
  json?: boolean;
  output?: OutputFormat;
  level?: LogLevel;
  workload?: string;
  state?: string;
}

export async function run(
  planFile: string,
  runId: string | undefined,
  options: LogsOptions,
): Promise<number> {
  const url = resolveStateUrl(options.state);
  if (url) return sharedLogs(planFile, runId, options, url);
  const { loaded, root, planName } = await readPlanState(planFile, options.stateDir);
  const runsDir = join(root, planName, "runs");
  const runs = (await readdir(runsDir).catch(() => [] as string[])).sort();
  if (runs.length === 0) {
    throw new UserError("usage", `no run logs for plan ${planName} in ${runsDir}`, {
      hint: `logs are written by \`migrate apply ${planFile}\`; pass --state-dir if the state lives elsewhere`,
    });
  }
  const chosen = chooseRun(runs, runId, planName);
  const text = await readFile(join(runDir(root, planName, chosen), LOG_FILE), "utf8").catch(() => {
    throw new UserError("usage", `run ${chosen} has no log file (${LOG_FILE})`);
  });
  show(text, options, {
    timeZone: loaded.plan.defaults.timezone,
    ...(options.workload !== undefined ? { workload: options.workload } : {}),
  });
  return ExitCode.ok;
}

async function sharedLogs(
  planFile: string,
  runId: string | undefined,
  options: LogsOptions,
  url: StateUrl,
): Promise<number> {
  const { plan } = await loadPlanOrThrow(planFile);
  const planName = plan.metadata.name;
  const text = await withStateDb(url, async ({ pool }) => {
    const runs = await loggedRuns(pool, planName);
    if (runs.length === 0) {
      throw new UserError("usage", `no run logs for plan ${planName} in ${url.display}`, {
        hint: "runners write them while they run the plan's workloads (`migrate runner`)",
      });
    }
    return runLogText(pool, planName, chooseRun(runs, runId, planName), options.workload);
  });
  show(text, options, { timeZone: plan.defaults.timezone });
  return ExitCode.ok;
}

function show(text: string, options: LogsOptions, filter: LogFilter): void {
  const format = outputFormat(options);
  const colour = format !== "json" && colourWanted(Boolean(process.stdout.isTTY));
  const kept = { ...filter, ...(options.level ? { level: options.level } : {}) };
  const shown = formatLog(text, palette(colour), kept, format === "json");
  if (shown !== "") process.stdout.write(`${shown}\n`);
}

function chooseRun(runs: string[], runId: string | undefined, planName: string): string {
  const chosen =
    runId === undefined ? runs.at(-1) : (runs.find((id) => id === runId) ?? uniquePrefix(runs, runId));
  if (chosen === undefined) {
    throw new UserError("usage", `no run ${runId} for plan ${planName}`, {
      hint: `runs: ${runs.join(", ")}`,
    });
  }
  return chosen;
}

function uniquePrefix(runs: string[], prefix: string): string | undefined {
  const matches = runs.filter((id) => id.startsWith(prefix));
  return matches.length === 1 ? matches[0] : undefined;
}
