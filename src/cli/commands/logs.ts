/** `migrate logs <plan> [run]`: pretty-print a run's structured log (default: the latest run). */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { runDir } from "../../engine/journal/state-dir.ts";
import { UserError } from "../../errors.ts";
import { ExitCode } from "../../exit-codes.ts";
import type { LogLevel } from "../../log/levels.ts";
import { LOG_FILE } from "../../log/logger.ts";
import { formatLog } from "../../log/pretty.ts";
import { colourWanted, palette } from "../../render/colour.ts";
import { type OutputFormat, outputFormat } from "../output-format.ts";
import { readPlanState } from "../paths.ts";

export interface LogsOptions {
  stateDir?: string;
  json?: boolean;
  output?: OutputFormat;
  level?: LogLevel;
  workload?: string;
}

export async function run(
  planFile: string,
  runId: string | undefined,
  options: LogsOptions,
): Promise<number> {
  const format = outputFormat(options);
  const { loaded, root, planName } = await readPlanState(planFile, options.stateDir);
  const runsDir = join(root, planName, "runs");
  const runs = (await readdir(runsDir).catch(() => [] as string[])).sort();
  if (runs.length === 0) {
    throw new UserError("usage", `no run logs for plan ${planName} in ${runsDir}`, {
      hint: `logs are written by \`migrate apply ${planFile}\`; pass --state-dir if the state lives elsewhere`,
    });
  }
  const chosen =
    runId === undefined ? runs.at(-1) : (runs.find((id) => id === runId) ?? uniquePrefix(runs, runId));
  if (chosen === undefined) {
    throw new UserError("usage", `no run ${runId} for plan ${planName}`, {
      hint: `runs: ${runs.join(", ")}`,
    });
  }
  const text = await readFile(join(runDir(root, planName, chosen), LOG_FILE), "utf8").catch(() => {
    throw new UserError("usage", `run ${chosen} has no log file (${LOG_FILE})`);
  });
  const filter = {
    timeZone: loaded.plan.defaults.timezone,
    ...(options.level ? { level: options.level } : {}),
    ...(options.workload !== undefined ? { workload: options.workload } : {}),
  };
  const colour = format !== "json" && colourWanted(Boolean(process.stdout.isTTY));
  const shown = formatLog(text, palette(colour), filter, format === "json");
  if (shown !== "") process.stdout.write(`${shown}\n`);
  return ExitCode.ok;
}

function uniquePrefix(runs: string[], prefix: string): string | undefined {
  const matches = runs.filter((id) => id.startsWith(prefix));
  return matches.length === 1 ? matches[0] : undefined;
}
