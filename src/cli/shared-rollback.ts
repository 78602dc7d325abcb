/**
 * `migrate rollback <plan> <workload> --state URL`: the same engine rollback from any desk,
 * under the workload's lease in the shared state (refused while a runner holds it or a run of
 * the plan goes on, before the confirmation and again when the lease is taken after it), its records written through the fenced journal, the lease renewed while it
 * runs and ended with it.
 */
import { hostname } from "node:os";
import type { JournalRecord } from "../engine/journal/journal-record.ts";
import { currentHolder } from "../engine/journal/lock.ts";
import { checkRollbackAllowed, rollbackWorkload } from "../engine/running/rollback.ts";
import { newRunId } from "../engine/running/run-session.ts";
import { heartbeat } from "../engine/state/leases.ts";
import { PgJournal } from "../engine/state/pg-journal.ts";
import { checkRollbackLease, endRollback, takeRollbackLease } from "../engine/state/rollback-lease.ts";
import type { StateUrl } from "../engine/state/state-url.ts";
import { ExitCode } from "../exit-codes.ts";
import { scrubbedJournal } from "../log/scrubbed-sinks.ts";
import type { LoadedPlan } from "../plan/load.ts";
import { STEP_IMPLEMENTATIONS } from "../steps/index.ts";
import { withCommandSession } from "./command-session.ts";
import type { OutputFormat } from "./output-format.ts";
import type { Prompter } from "./prompter.ts";
import { rollbackExit } from "./rollback-outcome.ts";
import { confirmed, startShortRun } from "./short-run.ts";
import { withStateDb } from "./state-session.ts";

const LEASE_MS = 30_000;

export interface SharedRollback {
  loaded: LoadedPlan;
  file: string;
  root: string;
  workload: string;
  format: OutputFormat;
  url: StateUrl;
  ask?: { prompter: Prompter; question: string };
  /** `--discard-target-writes`: roll back even where the target's writes stay behind. */
  discardTargetWrites: boolean;
}

export async function sharedRollback(spec: SharedRollback): Promise<number> {
  const { loaded, workload: name } = spec;
  const { plan } = loaded;
  const planName = plan.metadata.name;
  const workload = plan.workloads.find((w) => w.name === name);
  const holder = `migrate rollback ${spec.file} ${name} --state ${spec.url.display}`;
  return withStateDb(spec.url, async ({ pool }) => {
    const check = (journal: JournalRecord[]) => checkRollbackAllowed(plan, journal, name);
    const target = {
      name,
      wave: workload?.wave ?? 0,
      host: workload?.source ?? "",
      zone: workload?.zone ?? "",
      tenant: plan.tenants.find((t) => t.hosts.some((h) => h.name === workload?.target))?.name ?? "",
    };
    // Refused before the question when it would be refused anyway; the lease only after a yes,
    // and its own transaction checks again (a runner may have taken the workload meanwhile).
    await checkRollbackLease(pool, { plan: planName, workload: target }, check);
    if (!(await confirmed(spec.ask))) return ExitCode.error;
    const { lease, records } = await takeRollbackLease(
      pool,
      {
        runId: newRunId(new Date()),
        plan: planName,
        planFile: spec.file,
        planText: loaded.text,
        planHash: loaded.hash,
        holder: currentHolder(holder),
        workload: target,
        runner: `${hostname()}-${process.pid}`,
        ttlMs: LEASE_MS,
      },
      check,
    );
    let status = "interrupted";
    const lost = new AbortController();
    const beat = setInterval(() => {
      heartbeat(pool, lease, LEASE_MS).then(
        (state) => {
          if (state !== "ok") lost.abort(new Error(`the lease on ${name} was ${state}`));
        },
        () => undefined, // a missed beat is retried; the lease's slack covers a short outage
      );
    }, LEASE_MS / 3);
    try {
      return await withCommandSession(
        { root: spec.root, name: planName, holder, journal: false },
        async (session) => {
          const started = await startShortRun(session, {
            loaded,
            file: spec.file,
            root: spec.root,
            format: spec.format,
            title: `rollback ${name}`,
          });
          if (typeof started === "number") return started;
          const { run, engine } = started;
          const journal = scrubbedJournal(PgJournal.fenced(pool, planName, lease, records), run.scrubber);
          const result = await rollbackWorkload({
            ...engine,
            journal,
            runId: lease.runId,
            signal: AbortSignal.any([run.signal, lost.signal]),
            workload: name,
            cutover: STEP_IMPLEMENTATIONS.cutover,
            discardTargetWrites: spec.discardTargetWrites,
            throttle: run.throttle(plan.defaults.bandwidth, plan.defaults.concurrency),
          });
          status = result.status;
          return rollbackExit(
            run,
            name,
            result,
            `${name} rolled back under its lease in ${spec.url.display}: traffic goes to the source again.`,
          );
        },
      );
    } finally {
      clearInterval(beat);
      await endRollback(pool, lease, status);
    }
  });
}
