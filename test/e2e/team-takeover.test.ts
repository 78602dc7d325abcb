/**
 * Leases and fencing on a real PostgreSQL with real runner processes, mid-transfer of the
 * portal workload (a 2 MiB/s budget makes the transfer last): a SIGKILLed runner's lease
 * expires and another runner resumes from the last checkpoint without sending verified batches
 * again; a SIGSTOPped runner whose lease was taken over cannot write when it wakes — the
 * database refuses the write of the old generation.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { type Fleet, readFleet, resetSystems } from "../../fixtures/fleet/index.ts";
import { RECORD_VERSION } from "../../src/engine/journal/journal-record.ts";
import { LeaseLostError, PgJournal } from "../../src/engine/state/pg-journal.ts";
import { startCli, throttledPlan } from "./apply-support.ts";
import {
  addBulk,
  freshStateDb,
  journalRows,
  type RunnerProcess,
  removeBulk,
  startRunner,
  stopRunner,
  type TeamDb,
  verifiedBy,
  waitFor,
} from "./support/team.ts";

const skipReason = inject("e2eSkipReason");
const PLAN = "fleet-city-bureaus";
const LEASE = ["--hosts", "portal-src", "--lease-seconds", "3"];

describe.skipIf(skipReason !== "")("runner leases and fencing", () => {
  let fleet: Fleet;
  let db: TeamDb;
  let planFile: string;
  let runners: RunnerProcess[] = [];
  beforeAll(() => {
    fleet = readFleet();
    planFile = throttledPlan(fleet.planFile, "2MiB/s");
  });
  afterEach(async () => {
    await Promise.all(runners.map(stopRunner));
    runners = [];
    await db?.close();
  });
  afterAll(async () => {
    await removeBulk();
    await resetSystems();
  });

  /**
   * A fresh state, runner desk-a, and the portal's apply once desk-a verified a batch. The portal
   * alone fits one batch, whose verification ends the transfer at once; 4,500 empty files
   * sorted first make a second batch, so desk-a is still sending when it is killed.
   */
  const portalMidTransfer = async () => {
    await resetSystems();
    await addBulk();
    db = freshStateDb();
    const a = startRunner(db, "desk-a", LEASE);
    runners.push(a);
    const apply = startCli(
      ["apply", planFile, "--yes", "--only", "portal", "--state", db.url, "--output", "plain"],
      db.env,
    );
    const first = await waitFor(
      async () => verifiedBy(await journalRows(db, PLAN), "desk-a"),
      "a verified batch by desk-a",
    );
    return { a, apply, first };
  };

  it("resumes a SIGKILLed runner's workload on another runner without re-sending verified batches", async () => {
    const { a, apply } = await portalMidTransfer();
    a.process.kill("SIGKILL");
    const b = startRunner(db, "desk-b", LEASE);
    runners.push(b);

    const done = await apply;
    expect(done.exitCode, `${done.stderr}\n${b.output()}`).toBe(0);
    expect(b.output()).toContain("took over portal (lease generation 2)");
    const rows = await journalRows(db, PLAN);
    const finish = rows.find((row) => row.record.type === "step-finish" && row.record.step === "transfer");
    expect(finish?.runner).toBe("desk-b");
    expect(finish?.generation).toBe(2);
    const record = finish?.record as { outputs: { filesSkipped: number } } | undefined;
    expect(record?.outputs.filesSkipped).toBeGreaterThan(0);
    expect(rows.find((row) => row.record.type === "workload-end")).toMatchObject({
      runner: "desk-b",
      record: { status: "succeeded" },
    });
  });

  it("refuses every write of a paused runner whose lease was taken over", async () => {
    const { a, apply, first } = await portalMidTransfer();
    a.process.kill("SIGSTOP");
    const b = startRunner(db, "desk-b", LEASE);
    runners.push(b);
    const taken = await waitFor(
      async () => (await journalRows(db, PLAN)).find((row) => row.runner === "desk-b"),
      "desk-b's first record",
    );
    expect(taken.generation).toBe(2);

    // The old generation's write, as the paused runner would make it: the database refuses it.
    const stale = PgJournal.fenced(db.pool, PLAN, {
      runId: first.record.runId,
      workload: "portal",
      runner: "desk-a",
      generation: 1,
    });
    await expect(
      stale.append({
        v: RECORD_VERSION,
        runId: first.record.runId,
        at: new Date().toISOString(),
        type: "step-checkpoint",
        workload: "portal",
        step: "transfer",
        key: "portal/transfer",
        data: { digest: "stale", verified: [0] },
      }),
    ).rejects.toBeInstanceOf(LeaseLostError);

    a.process.kill("SIGCONT");
    await waitFor(
      async () => /lost (its|the) lease/.test(a.output()),
      "desk-a noticing it lost the lease",
      60_000,
    );
    const done = await apply;
    expect(done.exitCode, `${done.stderr}\n${b.output()}`).toBe(0);
    const rows = await journalRows(db, PLAN);
    const late = rows.filter((row) => row.runner === "desk-a" && row.seq > taken.seq);
    expect(late).toEqual([]);
    expect(
      rows.some(
        (row) =>
          row.record.type === "step-checkpoint" &&
          row.record.data &&
          JSON.stringify(row.record.data).includes("stale"),
      ),
    ).toBe(false);
    expect(rows.find((row) => row.record.type === "workload-end")).toMatchObject({
      runner: "desk-b",
      record: { status: "succeeded" },
    });
  });
});
