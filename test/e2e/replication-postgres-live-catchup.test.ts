/**
 * Issue 12's live catch-up before the freeze, on the fleet's tax database (PostgreSQL): the
 * replication left by `apply --stop-before cutover` applies nothing while no apply runs (its
 * tunnel closed with that apply), so the write load builds a backlog of well over 64 KiB. The
 * cutover apply must apply that backlog while the source is still live: a catch-up pass before
 * the freeze, and at the freeze only what the load wrote since the last pass is left. After the
 * cutover both sides hold the same rows (count and checksum per table).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startPgLoad, TAX_DB } from "../../fixtures/fleet/index.ts";
import { apply, finished, journal, preparePlan, resetFleet, sh } from "./support/pipeline.ts";
import { expectTaxTablesEqual, replicateTax } from "./support/replication.ts";

const skipReason = inject("e2eSkipReason");
const WORKLOAD = "tax-collection";
/** The lag the cutover's live catch-up leaves alone (SMALL_LAG_BYTES in cutover-replication). */
const SMALL_LAG = 64 * 1024;
/** The backlog built while no apply runs: four times what needs no live pass. */
const BACKLOG = 4 * SMALL_LAG;

interface Event {
  type: string;
  step?: string;
  phase?: string;
  bytes?: number;
  at: string;
}

/** The tax slot's lag on the source, in WAL bytes, as the cutover measures it. */
async function slotLag(): Promise<number> {
  const query = `runuser -u postgres -- psql -X -At -d ${TAX_DB} -c "select coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)), 0)::bigint from pg_replication_slots where slot_name like 'migrate_%'"`;
  const result = await sh("tax-src", query);
  expect(result.code, result.stderr).toBe(0);
  return Number(result.stdout.trim());
}

describe.skipIf(skipReason !== "")("replication: live catch-up of a backlog before the freeze", () => {
  let stateDir: string;
  let stopped: { exitCode: number | undefined; stderr: string };
  let cutover: { exitCode: number | undefined; stderr: string };
  let backlog = 0;
  /** The load's WAL bytes per second while nothing applied them. */
  let writeRate = 0;
  let events: Event[] = [];

  beforeAll(async () => {
    await resetFleet();
    // No pause between transactions: the load's few KiB of WAL a second build the backlog sooner.
    const writer = await startPgLoad("tax-src", TAX_DB, { pauseMs: 0 });
    try {
      const prepared = preparePlan(replicateTax);
      stateDir = prepared.stateDir;
      const first = await apply(prepared.planFile, stateDir, [
        "--only",
        WORKLOAD,
        "--stop-before",
        "cutover",
      ]);
      stopped = { exitCode: first.exitCode, stderr: String(first.stderr) };
      const start = { at: Date.now(), lag: await slotLag() };
      while (backlog < BACKLOG && Date.now() - start.at < 240_000) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        backlog = await slotLag();
      }
      writeRate = (backlog - start.lag) / ((Date.now() - start.at) / 1000);
      const result = await apply(prepared.planFile, stateDir, ["--only", WORKLOAD]);
      cutover = { exitCode: result.exitCode, stderr: String(result.stderr) };
      events = String(result.stdout)
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Event);
    } finally {
      await writer.stop();
    }
  }, 480_000);

  afterAll(async () => {
    await resetFleet();
  }, 120_000);

  it("builds a backlog of well over 64 KiB while no apply runs", () => {
    expect(stopped.exitCode, stopped.stderr).toBe(0);
    expect(backlog).toBeGreaterThanOrEqual(BACKLOG);
    expect(writeRate).toBeGreaterThan(0);
  });

  it("catches the backlog up while the source is live, and leaves only a small lag at the freeze", () => {
    expect(cutover.exitCode, cutover.stderr).toBe(0);
    const freeze = events.findIndex((e) => e.type === "cutover-freeze");
    expect(freeze).toBeGreaterThan(0);
    const lags = (from: number, to: number) =>
      events
        .slice(from, to)
        .filter((e) => e.type === "replication-lag" && e.step === "cutover" && e.phase === "catch-up");
    const live = lags(0, freeze);
    // The first live pass starts from the backlog (it only grew since it was measured).
    expect(live[0]?.bytes).toBeGreaterThanOrEqual(BACKLOG);
    // The lag the catch-up after the freeze starts from (the journal's lagBytes too): below
    // 64 KiB plus what the load wrote since the last live measurement (twice its rate, and a
    // second, for a loaded machine), far below the backlog.
    const atFreeze = lags(freeze, events.length)[0];
    const last = live.at(-1) as Event;
    const since = (Date.parse(atFreeze?.at ?? "") - Date.parse(last.at)) / 1000;
    const bound = SMALL_LAG + 2 * writeRate * (since + 1);
    expect(atFreeze?.bytes).toBeLessThan(bound);
    expect(atFreeze?.bytes).toBeLessThan(backlog / 4);
    const step = finished(journal(stateDir), `${WORKLOAD}/cutover`);
    const [db] = (step?.databases ?? []) as { mode: string; lagBytes: number }[];
    expect(db).toMatchObject({ mode: "replicate", lagBytes: atFreeze?.bytes });
  });

  it("leaves the same rows on both sides: count and checksum of every table", async () => {
    await expectTaxTablesEqual();
  });
});
