/**
 * Helpers for the shared-state e2e tests: a fresh state database (fixtures/fleet/state-db.ts),
 * runner processes of the real CLI, and direct reads of what the database holds.
 */
import type { ResultPromise } from "execa";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { type Fleet, hostExec, readFleet, resetSystems } from "../../../fixtures/fleet/index.ts";
import { resetStateDb, type StateDbFixture } from "../../../fixtures/fleet/state-db.ts";
import type { JournalRecord } from "../../../src/engine/journal/journal-record.ts";
import { startCli } from "../apply-support.ts";

export interface TeamDb extends StateDbFixture {
  pool: pg.Pool;
  /** The environment every CLI process gets: the password, never in argv. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export function freshStateDb(): TeamDb {
  const fixture = resetStateDb();
  const url = new URL(fixture.url);
  url.password = fixture.password;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  return { ...fixture, pool, env: { PGPASSWORD: fixture.password }, close: () => pool.end() };
}

export interface Row {
  seq: number;
  workload: string | null;
  runner: string | null;
  generation: number | null;
  record: JournalRecord;
}

export async function journalRows(db: TeamDb, plan: string): Promise<Row[]> {
  const { rows } = await db.pool.query<Row & { seq: string; generation: string | null }>(
    "SELECT seq, workload, runner, generation, record FROM journal WHERE plan = $1 ORDER BY seq",
    [plan],
  );
  return rows.map((row) => ({
    ...row,
    seq: Number(row.seq),
    generation: row.generation === null ? null : Number(row.generation),
  }));
}

/** Which runners wrote each workload's journal records. */
export async function runnersByWorkload(db: TeamDb, plan: string): Promise<Record<string, string[]>> {
  const byWorkload = new Map<string, Set<string>>();
  for (const row of await journalRows(db, plan)) {
    if (row.runner && row.workload)
      byWorkload.set(row.workload, (byWorkload.get(row.workload) ?? new Set()).add(row.runner));
  }
  return Object.fromEntries([...byWorkload].map(([workload, set]) => [workload, [...set]]));
}

export interface RunnerProcess {
  name: string;
  process: ResultPromise;
  output(): string;
}

/** A runner process; `cwd` is its own working directory (another desk's checkout, or none). */
export function startRunner(
  db: TeamDb,
  name: string,
  extra: string[] = [],
  options: { env?: Record<string, string>; cwd?: string } = {},
): RunnerProcess {
  const child = startCli(
    ["runner", "--state", db.url, "--name", name, ...extra],
    { ...db.env, ...options.env },
    options.cwd,
  );
  let text = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  // The runner is stopped by the test; its exit code is checked where it matters.
  child.catch(() => undefined);
  return { name, process: child, output: () => text };
}

/** Graceful stop (SIGTERM) and wait; SIGKILL if it does not stop in time. */
export async function stopRunner(runner: RunnerProcess): Promise<void> {
  if (runner.process.exitCode !== null || runner.process.signalCode) return;
  runner.process.kill("SIGTERM");
  const timer = setTimeout(() => runner.process.kill("SIGKILL"), 20_000);
  await runner.process.catch(() => undefined);
  clearTimeout(timer);
}

export async function waitFor<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // Until the first command migrated the schema, the tables are not there yet.
    const value = await check().catch(() => undefined);
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * The set-up every team file shares: before its tests a reset fleet and a fresh state database
 * (handed to `ready`), after them its runners stopped, the database closed and the fleet reset.
 */
export function withTeamState(
  ready: (fleet: Fleet, db: TeamDb) => void,
  runners: () => readonly (RunnerProcess | undefined)[],
): void {
  let db: TeamDb | undefined;
  beforeAll(async () => {
    const fleet = readFleet();
    await resetSystems();
    db = freshStateDb();
    ready(fleet, db);
  });
  afterAll(async () => {
    await Promise.all(runners().flatMap((runner) => (runner ? [stopRunner(runner)] : [])));
    await db?.close();
    await resetSystems();
  });
}

const BULK = "/srv/portal/0-bulk";

/**
 * 4,500 empty files sorted first in the portal's tree: the portal alone fits one batch, whose
 * verification ends the transfer at once; these make a second, so a runner killed after the
 * first verified batch is still sending.
 */
export async function addBulk(): Promise<void> {
  const made = await hostExec("portal-src", `mkdir -p ${BULK} && cd ${BULK} && seq 1 4500 | xargs touch`);
  if (made.code !== 0) throw new Error(`cannot add files on portal-src: ${made.stderr}`);
}

export async function removeBulk(): Promise<void> {
  await Promise.all(["portal-src", "tgt-1"].map((host) => hostExec(host, `rm -rf ${BULK}`)));
}

/** A transfer checkpoint of `runner` with at least one verified batch. */
export const verifiedBy = (rows: Row[], runner: string) =>
  rows.find(
    (row) =>
      row.runner === runner &&
      row.record.type === "step-checkpoint" &&
      row.record.step === "transfer" &&
      (row.record.data as { verified: number[] }).verified.length > 0,
  );

/** What withTeamState sets up, as one object its file's tests read once the set-up ran. */
export interface TeamContext {
  fleet: Fleet;
  db: TeamDb;
  /** Runners the tests start; stopped after the file's tests. */
  runners: RunnerProcess[];
}

export function teamContext(): TeamContext {
  const context = { runners: [] as RunnerProcess[] } as TeamContext;
  withTeamState(
    (fleet, db) => Object.assign(context, { fleet, db }),
    () => context.runners,
  );
  return context;
}
