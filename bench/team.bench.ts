/**
 * Team scale on a real PostgreSQL (the dedicated state database of fixtures/fleet/state-db.ts,
 * fsync on), in one run:
 * 1. Twelve workloads moved by one runner against three runners, each runner with its own link
 *    budget: the real runner loop, leases, pg-boss queue and fenced journal; the transfer step
 *    moves its bytes through the runner's token bucket (no hosts: the link is the budget) and
 *    checkpoints every MiB, the other steps do nothing. Wall time, ratio three/one.
 * 2. Journal overhead per record: sequential durable appends to the JSONL file journal (fsync)
 *    against the PostgreSQL journal (one committed INSERT; fenced: with the lease check).
 * 3. `status` latency on a journal of 100,000 records: read + fold + view from PostgreSQL
 *    against the same records in journal.jsonl.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resetStateDb } from "../fixtures/fleet/state-db.ts";
import { FileJournal } from "../src/engine/journal/journal.ts";
import { readJournal } from "../src/engine/journal/journal-read.ts";
import { type JournalRecord, RECORD_VERSION } from "../src/engine/journal/journal-record.ts";
import { buildStatus } from "../src/engine/journal/status.ts";
import { runRunner } from "../src/engine/running/runner.ts";
import { TokenBucket } from "../src/engine/running/throttle.ts";
import { enqueueApply } from "../src/engine/state/enqueue.ts";
import { followRun } from "../src/engine/state/follow.ts";
import { PgJournal } from "../src/engine/state/pg-journal.ts";
import { sharedStatus } from "../src/engine/state/shared-status.ts";
import { openStateDb, type StateDb } from "../src/engine/state/state-db.ts";
import { resolveStateUrl } from "../src/engine/state/state-url.ts";
import { startQueue } from "../src/engine/state/work-queue.ts";
import { Plan } from "../src/plan/schema.ts";
import { STEPS, type StepName } from "../src/steps/names.ts";
import type { Step, StepImplementations } from "../src/steps/types.ts";
import { fromRuns, toRuns } from "../src/transfer/batches.ts";
import { OUTPUTS } from "../test/support/step-outputs.ts";

const WORKLOADS = 12;
const MIB = 1024 * 1024;
const WORKLOAD_MIB = Number(process.env.BENCH_TEAM_MIB ?? 16);
const LINK = 16 * MIB; // bytes per second, per runner
const RECORDS = Number(process.env.BENCH_TEAM_RECORDS ?? 2000);
const STATUS_RECORDS = 100_000;
const KEY = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

function teamPlan(name: string): Plan {
  const host = (hostName: string, i: number) => ({
    name: hostName,
    address: `127.0.20.${i + 1}`,
    user: "root",
    auth: { agent: true as const },
    hostKey: KEY,
  });
  return Plan.parse({
    apiVersion: "migrate/v1",
    kind: "MigrationPlan",
    metadata: { name, owner: "bench" },
    defaults: { concurrency: 12, perHostConcurrency: 4, perTenantConcurrency: 12 },
    sources: Array.from({ length: WORKLOADS }, (_, i) => host(`src-${i}`, i)),
    tenants: [
      {
        name: "tenant-0",
        cloud: "bench",
        zone: "egov-intranet",
        maxClassification: 3,
        arch: "x86_64",
        hosts: [host("tgt-0", 100)],
      },
    ],
    workloads: Array.from({ length: WORKLOADS }, (_, i) => ({
      name: `w-${i}`,
      bureau: `bureau-${i % 4}`,
      kind: "generic",
      classification: 2,
      zone: "egov-extranet",
      wave: 1,
      source: `src-${i}`,
      target: "tgt-0",
    })),
  });
}

// Outputs shaped as each step's contract promises: the shared journal validates what it reads.
const sample = (name: StepName) => async () => OUTPUTS[name];
/** Transfer: the workload's bytes through the runner's budget, a checkpoint per MiB. */
const transfer: Step<"transfer"> = {
  name: "transfer",
  async run(_input, context) {
    const verified = [...fromRuns(context.lastCheckpoint?.verified ?? [])];
    for (let chunk = verified.length; chunk < WORKLOAD_MIB; chunk++) {
      await context.throttle.take(MIB, context.signal);
      verified.push(chunk);
      await context.checkpoint({ digest: "bench", verified: toRuns(verified) });
    }
    return { ...OUTPUTS.transfer, bytesSent: WORKLOAD_MIB * MIB };
  },
};
const steps = Object.fromEntries(
  STEPS.map((name): [StepName, Step] => [
    name,
    name === "transfer" ? transfer : { name, run: sample(name), undo: async () => {} },
  ]),
) as unknown as StepImplementations;

/** A fresh state database (fixtures/fleet/state-db.ts), schema migrated. */
export async function openDb(): Promise<StateDb> {
  const fixture = resetStateDb();
  process.env.PGPASSWORD = fixture.password;
  const url = resolveStateUrl(undefined, {
    MIGRATE_STATE_URL: fixture.url.replace("migrate@", `migrate:${fixture.password}@`),
  });
  return openStateDb(url!);
}

/** Wall time of one run of the twelve workloads with `count` runners. */
async function teamRun(db: StateDb, count: number): Promise<{ ms: number; records: JournalRecord[] }> {
  const name = `bench-team-${count}`;
  const plan = teamPlan(name);
  const stop = new AbortController();
  const workDir = mkdtempSync(join(tmpdir(), "team-bench-"));
  const runners = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const own = await openStateDb(db.url);
      const boss = await startQueue(own);
      const throttle = new TokenBucket(LINK);
      return {
        own,
        boss,
        done: runRunner({
          db: own,
          boss,
          name: `runner-${i}`,
          hosts: undefined,
          zone: undefined,
          slots: 1,
          ttlMs: 30_000,
          pollMs: 50,
          steps,
          stop: stop.signal,
          resources: async () => ({
            plan,
            remote: async () => {
              throw new Error("no hosts in the team bench");
            },
            workDir: () => workDir,
            throttle,
          }),
          onEvent: () => {},
          log: () => {},
        }),
      };
    }),
  );
  const operator = await startQueue(db);
  const started = performance.now();
  const run = await enqueueApply(db, operator, {
    plan,
    planFile: `${name}.yaml`,
    planText: JSON.stringify(plan),
    planHash: name,
    selected: plan.workloads,
    operator: { user: "bench", host: "bench", pid: process.pid, version: "bench", argv: [] },
    holder: {
      pid: process.pid,
      host: "bench",
      user: "bench",
      startedAt: new Date().toISOString(),
      command: "bench",
    },
    ignoreWindow: true,
  });
  const result = await followRun(db, {
    plan: name,
    runId: run.runId,
    afterSeq: run.afterSeq,
    selected: WORKLOADS,
    prior: [],
    onEvent: () => {},
    signal: new AbortController().signal,
    pollMs: 20,
  });
  const ms = performance.now() - started;
  if (result.status !== "succeeded") throw new Error(`team bench run ended ${result.status}`);
  stop.abort();
  for (const runner of runners) {
    await runner.done;
    await runner.boss.stop({ graceful: false, wait: true });
    await runner.own.close();
  }
  await operator.stop({ graceful: false, wait: true });
  rmSync(workDir, { recursive: true, force: true });
  const { rows } = await db.pool.query<{ record: JournalRecord }>(
    "SELECT record FROM journal WHERE plan = $1 ORDER BY seq",
    [name],
  );
  return { ms, records: rows.map((row) => row.record) };
}

function checkpoint(runId: string, i: number): JournalRecord {
  return {
    v: RECORD_VERSION,
    runId,
    at: new Date().toISOString(),
    type: "step-checkpoint",
    workload: `w-${i % WORKLOADS}`,
    step: "transfer",
    key: `w-${i % WORKLOADS}/transfer`,
    data: { digest: "bench", verified: [i] },
  } as JournalRecord;
}

async function perRecord(db: StateDb): Promise<{ file: number; pg: number; fenced: number }> {
  const dir = mkdtempSync(join(tmpdir(), "team-bench-journal-"));
  const file = FileJournal.open(join(dir, "bench", "journal.jsonl"));
  const time = async (append: (record: JournalRecord) => Promise<void>) => {
    const started = performance.now();
    for (let i = 0; i < RECORDS; i++) await append(checkpoint("r-bench", i));
    return ((performance.now() - started) * 1000) / RECORDS;
  };
  const fileUs = await time((record) => file.append(record));
  await file.close();
  rmSync(dir, { recursive: true, force: true });
  const plain = await PgJournal.open(db.pool, "bench-records");
  const plainUs = await time((record) => plain.append(record));
  await db.pool.query(
    `INSERT INTO runs (run_id, plan, plan_file, plan_text, plan_hash, state, holder, settings)
     VALUES ('r-bench', 'bench-fenced', 'x', 'x', 'x', 'finished', '{}', '{}')`,
  );
  await db.pool.query(
    `INSERT INTO work (run_id, plan, workload, wave, host, tenant, depends_on, state, runner, generation)
     SELECT 'r-bench', 'bench-fenced', 'w-' || i, 1, 'h', 't', '{}', 'running', 'bench', 1 FROM generate_series(0, ${WORKLOADS - 1}) i`,
  );
  const fencedJournals = Array.from({ length: WORKLOADS }, (_, i) =>
    PgJournal.fenced(db.pool, "bench-fenced", {
      runId: "r-bench",
      workload: `w-${i}`,
      runner: "bench",
      generation: 1,
    }),
  );
  let n = 0;
  const fencedUs = await time((record) => (fencedJournals[n++ % WORKLOADS] as PgJournal).append(record));
  return { file: fileUs, pg: plainUs, fenced: fencedUs };
}

async function statusLatency(db: StateDb, sample: JournalRecord[]): Promise<{ pg: number; file: number }> {
  const plan = teamPlan("bench-team-3");
  const runId = sample[0]?.runId ?? "r";
  const records: JournalRecord[] = [...sample];
  for (let i = 0; records.length < STATUS_RECORDS; i++) records.splice(1, 0, checkpoint(runId, i));
  await db.pool.query("DELETE FROM journal WHERE plan = 'bench-team-3'");
  for (let i = 0; i < records.length; i += 5000) {
    await db.pool.query(
      "INSERT INTO journal (plan, run_id, record) SELECT 'bench-team-3', r->>'runId', r FROM unnest($1::jsonb[]) r",
      [records.slice(i, i + 5000).map((record) => JSON.stringify(record))],
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "team-bench-status-"));
  const file = join(dir, "bench-team-3", "journal.jsonl");
  await FileJournal.open(file).close();
  writeFileSync(file, `${records.map((record) => JSON.stringify(record)).join("\n")}\n`);
  const best = async (fn: () => Promise<unknown>) => {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await fn();
      times.push(performance.now() - started);
    }
    return Math.min(...times);
  };
  const pg = await best(() => sharedStatus(db, plan));
  const fileMs = await best(async () => buildStatus(plan, dir, await readJournal(file)));
  rmSync(dir, { recursive: true, force: true });
  return { pg, file: fileMs };
}

export async function run(): Promise<void> {
  const db = await openDb();
  try {
    const one = await teamRun(db, 1);
    const three = await teamRun(db, 3);
    console.log(
      `twelve workloads of ${WORKLOAD_MIB} MiB, ${LINK / MIB} MiB/s per runner: one runner ${(one.ms / 1000).toFixed(1)} s, three runners ${(three.ms / 1000).toFixed(1)} s — ratio ${(three.ms / one.ms).toFixed(2)}x (target ≤ 0.45x)`,
    );
    const record = await perRecord(db);
    console.log(
      `journal append, ${RECORDS} sequential durable records: file ${record.file.toFixed(0)} µs/record, PostgreSQL ${record.pg.toFixed(0)} µs (${(record.pg / record.file).toFixed(2)}x), fenced ${record.fenced.toFixed(0)} µs (${(record.fenced / record.file).toFixed(2)}x)`,
    );
    const status = await statusLatency(db, three.records);
    console.log(
      `status on ${STATUS_RECORDS.toLocaleString("en")} records: PostgreSQL ${status.pg.toFixed(0)} ms, file journal ${status.file.toFixed(0)} ms (${(status.pg / status.file).toFixed(2)}x)`,
    );
  } finally {
    await db.close();
  }
}
