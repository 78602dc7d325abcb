/**
 * `apply --state URL`: the operator checks what a local apply checks before any change (from
 * this desk, on the hosts it reaches), hands the plan's remaining workloads to the runners and
 * follows the run live (the same live view or NDJSON as a local apply, fed from the shared
 * journal). Ctrl-C detaches and leaves the run going; `migrate cancel` stops it.
 */
import { resolve } from "node:path";
import { currentHolder } from "../engine/journal/lock.ts";
import type { ReadinessFinding } from "../engine/planning/readiness.ts";
import { downtimeBudgetMs } from "../engine/planning/window.ts";
import { operatorInfo } from "../engine/running/apply.ts";
import { applyPreflight, preflightWork, readinessEvent } from "../engine/running/apply-preflight.ts";
import { enqueueApply, prepareShared } from "../engine/state/enqueue.ts";
import { followRun } from "../engine/state/follow.ts";
import type { StateUrl } from "../engine/state/state-url.ts";
import { ExitCode } from "../exit-codes.ts";
import type { LoadedPlan } from "../plan/load.ts";
import type { Plan } from "../plan/schema.ts";
import { planHosts, SshPool } from "../remote/pool.ts";
import { colourWanted, palette } from "../render/colour.ts";
import { createRenderer, type WorkloadInfo } from "../render/index.ts";
import { runPlanText } from "../render/plan-text.ts";
import { createInterrupts, plainStopView } from "./interrupts.ts";
import type { OutputFormat } from "./output-format.ts";
import type { Prompter } from "./prompter.ts";
import { withStateDb } from "./state-session.ts";
import { VERSION } from "./version.ts";

export interface SharedApply {
  file: string;
  loaded: LoadedPlan;
  url: StateUrl;
  selected: readonly Plan["workloads"][number][];
  yes: boolean;
  ignoreWindow: boolean;
  acceptNewHostKeys: boolean;
  mode: OutputFormat;
  prompter: Prompter;
}

/** A workload as the live view groups it: bureau, wave and downtime budget. */
export function workloadInfo(w: Plan["workloads"][number]): WorkloadInfo {
  const budget = downtimeBudgetMs(w);
  return {
    name: w.name,
    bureau: w.bureau,
    wave: w.wave,
    ...(budget === undefined ? {} : { downtimeBudgetMs: budget }),
  };
}

export async function applyShared(options: SharedApply): Promise<number> {
  const { file, loaded, url } = options;
  const { plan } = loaded;
  const name = plan.metadata.name;
  const stateFlag = `--state ${url.display}`;
  return withStateDb(url, async (db, queue) => {
    const prepared = await prepareShared(db, plan, loaded.hash);
    if (!options.yes) {
      const tty = Boolean(process.stderr.isTTY);
      process.stderr.write(
        runPlanText(prepared.runPlan, { footer: "none", planFile: file, style: palette(colourWanted(tty)) }),
      );
      if (prepared.runPlan.summary.pendingSteps === 0) return ExitCode.ok;
      if (!(await options.prompter.confirm("Hand this plan to the runners now?"))) {
        process.stderr.write("Nothing was changed.\n");
        return ExitCode.error;
      }
    }
    const interrupts = createInterrupts({ view: plainStopView() });
    try {
      // Refused here, before anything is enqueued, exactly where a local apply would refuse.
      const warnings = await deskPreflight(options, prepared, interrupts.signal);
      if (interrupts.signal.aborted) {
        process.stderr.write("Stopped before anything was handed to the runners.\n");
        return ExitCode.interrupted;
      }
      const run = await enqueueApply(db, await queue(), {
        plan,
        planFile: resolve(file),
        planText: loaded.text,
        planHash: loaded.hash,
        selected: options.selected,
        operator: operatorInfo(VERSION, process.argv.slice(2)),
        holder: currentHolder(`migrate apply ${file} ${stateFlag}`),
        ignoreWindow: options.ignoreWindow,
      });
      const renderer = await createRenderer({
        mode: options.mode,
        title: `apply ${name} (shared state)`,
        timeZone: plan.defaults.timezone,
        workloads: options.selected.map(workloadInfo),
        resumeCommand: `migrate status ${file} ${stateFlag}`,
        onInterrupt: interrupts.request,
      });
      // Shown after run-start, where a local apply's preflight shows them.
      let pending = warnings;
      const result = await followRun(db, {
        plan: name,
        runId: run.runId,
        afterSeq: run.afterSeq,
        selected: options.selected.length,
        prior: options.selected.map((w) => w.name).filter((name) => !run.work.includes(name)),
        onEvent: (event) => {
          renderer.onEvent(event);
          if (event.type !== "run-start") return;
          for (const finding of pending) renderer.onEvent(readinessEvent(finding));
          pending = [];
        },
        signal: interrupts.signal,
      });
      const message =
        result.status === undefined
          ? `Detached; run ${run.runId} goes on with the runners. Follow: migrate status ${file} ${stateFlag}; stop: migrate cancel ${file} ${stateFlag}`
          : result.status === "succeeded"
            ? `Run ${run.runId} succeeded (${run.work.length} workloads by the runners). Next: migrate report ${file} ${stateFlag}`
            : `Run ${run.runId} ended ${result.status}; see migrate status ${file} ${stateFlag}, fix the cause and apply again.`;
      await renderer.done({ message });
      if (result.status === undefined || result.status === "interrupted") return ExitCode.interrupted;
      return result.status === "succeeded" ? ExitCode.ok : ExitCode.partial;
    } finally {
      interrupts.release();
    }
  });
}

/**
 * Apply's preflight from the operator's desk, over the selected workloads with steps left: a
 * host key this desk refuses, a login without the privilege it needs, a replication or
 * readiness block refuse the run with nothing enqueued. Hosts this desk cannot reach and the
 * database passwords are left to the runners, which run the same preflight before their change.
 */
async function deskPreflight(
  options: SharedApply,
  prepared: Awaited<ReturnType<typeof prepareShared>>,
  signal: AbortSignal,
): Promise<ReadinessFinding[]> {
  const { plan } = options.loaded;
  const chosen = new Set(options.selected.map((workload) => workload.name));
  const planned = prepared.runPlan.waves.flatMap((wave) => wave.workloads);
  const names = new Set(
    planned
      .filter((w) => chosen.has(w.name) && w.steps.some((step) => step.status === "pending"))
      .map((w) => w.name),
  );
  if (names.size === 0) return [];
  const pool = new SshPool({ hosts: planHosts(plan), acceptNewHostKeys: options.acceptNewHostKeys });
  try {
    return await applyPreflight({
      plan,
      work: preflightWork(plan, names),
      planned,
      records: prepared.records,
      hosts: pool,
      signal,
      ignoreWindow: options.ignoreWindow,
      kind: "apply",
      runsElsewhere: true,
    });
  } finally {
    await pool.close();
  }
}
