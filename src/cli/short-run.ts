/**
 * The run of a short host-changing command (rollback, finalize): plain lines rather than the
 * live view, the run log, and the engine options every such run passes the same way.
 */
import { resolve } from "node:path";
import { runDir, workloadDir } from "../engine/journal/state-dir.ts";
import { operatorInfo } from "../engine/running/apply.ts";
import { ExitCode } from "../exit-codes.ts";
import type { loadPlanOrThrow } from "../plan/load.ts";
import type { CommandSession } from "./command-session.ts";
import type { OutputFormat } from "./output-format.ts";
import type { Prompter } from "./prompter.ts";
import { VERSION } from "./version.ts";

export interface ShortRunSpec {
  loaded: Awaited<ReturnType<typeof loadPlanOrThrow>>;
  file: string;
  root: string;
  format: OutputFormat;
  title: string;
  /** Asked first unless absent (--yes); a no changes nothing. */
  ask?: { prompter: Prompter; question: string };
}

/** Whether the operator said yes (or was not asked); a no is said to have changed nothing. */
export async function confirmed(ask: ShortRunSpec["ask"]): Promise<boolean> {
  if (!ask || (await ask.prompter.confirm(ask.question))) return true;
  process.stderr.write("Nothing was changed.\n");
  return false;
}

/** The run and the engine's options, or the exit code when the operator said no. */
export async function startShortRun(session: CommandSession, spec: ShortRunSpec) {
  if (!(await confirmed(spec.ask))) return ExitCode.error;
  const { root, loaded } = spec;
  const { plan } = loaded;
  const name = plan.metadata.name;
  const run = await session.start({
    plan,
    // Short runs print a few lines; the live view is for apply.
    renderer: {
      mode: spec.format === "auto" ? "plain" : spec.format,
      title: spec.title,
      timeZone: plan.defaults.timezone,
    },
    runLog: { runDir: (runId) => runDir(root, name, runId) },
  });
  const engine = {
    plan,
    planFile: resolve(spec.file),
    planHash: loaded.hash,
    journal: run.journal!,
    remote: async (host: string) => run.pool.remote(host),
    onEvent: run.onEvent,
    signal: run.signal,
    workDir: (workload: string) => workloadDir(root, name, workload),
    ...(session.lock.recovered ? { recoveredLock: session.lock.recovered } : {}),
    operator: operatorInfo(VERSION, process.argv.slice(2)),
  };
  return { run, engine };
}
