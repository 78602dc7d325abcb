/**
 * The bracket around every command that changes hosts (apply, rollback, seed, and later run
 * kinds): the state lock, the journal, then — once the command has checked and asked — the
 * renderer, the run log, the SSH pool, the operator's stop requests (src/cli/interrupts.ts) and
 * the memory policy. Whatever the command's body does, everything is released in reverse order.
 */
import type { OnEvent } from "../engine/events.ts";
import { FileJournal, type Journal } from "../engine/journal/journal.ts";
import { acquireLock, describeHolder, type HeldLock } from "../engine/journal/lock.ts";
import { journalPath, lockPath } from "../engine/journal/state-dir.ts";
import { createThrottle } from "../engine/running/throttle.ts";
import { BugError } from "../errors.ts";
import { createRunLog, type RunLog } from "../log/run-log.ts";
import { type Scrubber, scrubberForPlan } from "../log/scrub.ts";
import { scrubbedEvents, scrubbedJournal } from "../log/scrubbed-sinks.ts";
import type { Plan } from "../plan/schema.ts";
import { planHosts, SshPool } from "../remote/pool.ts";
import { createRenderer, type Renderer, type RendererOptions } from "../render/index.ts";
import type { Throttle } from "../transfer/types.ts";
import { createInterrupts, type Interrupts, plainStopView } from "./interrupts.ts";
import { collectingThrottle, collectOnStepStart, collectWhileRunning } from "./memory-policy.ts";

export interface SessionSpec {
  /** The state root (`stateRoot` in ./paths.ts) and the plan's name: where lock and journal are. */
  root: string;
  name: string;
  /** The command as the lock names its holder, e.g. `migrate apply plans/x.yaml`. */
  holder: string;
  /** Whether the command reads and appends the run journal (seed keeps its own record). */
  journal: boolean;
}

export interface RunSpec {
  plan: Plan;
  /** The renderer's options; without them stops are plain lines on stderr and no events show. */
  renderer?: Omit<RendererOptions, "onInterrupt">;
  /** Write the run's structured log (runs/<id>/log.ndjson) from the events and commands. */
  runLog?: { runDir(runId: string): string };
  acceptNewHostKeys?: boolean;
}

/** What a started session gives the command's body. */
export interface SessionRun {
  /** Aborted when the operator asks for a graceful stop. */
  signal: AbortSignal;
  pool: SshPool;
  renderer: Renderer | undefined;
  runLog: RunLog | undefined;
  scrubber: Scrubber;
  /** The session's journal with secrets cut out of every record (absent as in the spec). */
  journal: Journal | undefined;
  /** Events to the renderer and the run log, secrets cut out. */
  onEvent: OnEvent;
  /** The plan's transfer budget, counted by the memory policy. */
  throttle(bandwidth: string | undefined, sharers?: number): Throttle;
}

export interface CommandSession {
  lock: HeldLock;
  /** The open journal; absent when the spec asked for none. */
  journal: FileJournal | undefined;
  /** Start the run's parts; called once, after the command has checked and asked. */
  start(spec: RunSpec): Promise<SessionRun>;
}

export async function withCommandSession(
  spec: SessionSpec,
  body: (session: CommandSession) => Promise<number>,
): Promise<number> {
  const lock = await acquireLock(lockPath(spec.root, spec.name), spec.holder);
  const release: (() => unknown)[] = [() => lock.release()];
  let scrubber: Scrubber | undefined;
  try {
    if (lock.recovered) {
      process.stderr.write(`migrate: took over a stale lock left by ${describeHolder(lock.recovered)}\n`);
    }
    const journal = spec.journal ? FileJournal.open(journalPath(spec.root, spec.name)) : undefined;
    if (journal) release.push(() => journal.close());
    if (journal?.torn) {
      process.stderr.write(
        `migrate: warning: the journal's last record (line ${journal.torn.line}) was torn by a crash mid-write; it was set aside and ignored\n`,
      );
    }
    let started = false;
    const start = async (run: RunSpec): Promise<SessionRun> => {
      if (started) throw new BugError("a command session starts once");
      started = true;
      const interrupts = createInterrupts({ view: plainStopView() });
      release.push(() => interrupts.release());
      release.push(collectWhileRunning());
      scrubber = scrubberForPlan(run.plan);
      const renderer = run.renderer ? await startRenderer(run.renderer, interrupts) : undefined;
      if (renderer) release.push(() => renderer.close());
      const runLog = run.runLog
        ? createRunLog({ runDir: run.runLog.runDir, scrubber, plan: spec.name })
        : undefined;
      if (runLog) release.push(() => runLog.close());
      const pool = new SshPool({
        hosts: planHosts(run.plan),
        acceptNewHostKeys: run.acceptNewHostKeys ?? false,
        ...(runLog ? { onCommand: (audit) => runLog.onCommand(audit) } : {}),
      });
      release.push(() => pool.close());
      const sinks: OnEvent = (event) => {
        renderer?.onEvent(event);
        runLog?.onEvent(event);
      };
      return {
        signal: interrupts.signal,
        pool,
        renderer,
        runLog,
        scrubber,
        journal: journal && scrubbedJournal(journal, scrubber),
        onEvent: collectOnStepStart(scrubbedEvents(sinks, scrubber)),
        throttle: (bandwidth, sharers) => collectingThrottle(createThrottle(bandwidth, sharers)),
      };
    };
    return await body({ lock, journal, start });
  } catch (error) {
    throw scrubber ? scrubber.error(error) : error;
  } finally {
    for (const step of release.reverse()) await step();
  }
}

async function startRenderer(
  options: Omit<RendererOptions, "onInterrupt">,
  interrupts: Interrupts,
): Promise<Renderer> {
  const renderer = await createRenderer({ ...options, onInterrupt: interrupts.request });
  interrupts.show(renderer);
  return renderer;
}
