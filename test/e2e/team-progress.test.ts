/**
 * Byte progress across desks on a real PostgreSQL: while a runner transfers a throttled portal,
 * the operator's `apply --state --output json` streams step-progress events (bytes done rising,
 * a rate, a total) as a local apply does, and `status --state` from another process shows the
 * running transfer's progress rising, with its rate and ETA. The runner writes one small row per
 * workload, at most once a second: the row's write count stays within the transfer's seconds.
 */
import { describe, expect, inject, it } from "vitest";
import { seedBulkData } from "../../fixtures/fleet/index.ts";
import { derivePlan } from "../support/reliability/derived-plan.ts";
import { runCli, startCli } from "./apply-support.ts";
import { journalRows, startRunner, teamContext, waitFor } from "./support/team.ts";

const skipReason = inject("e2eSkipReason");

interface Reading {
  step: string;
  bytesDone: number;
  bytesTotal: number;
  rateBps: number;
  etaMs?: number;
  at: string;
}

describe.skipIf(skipReason !== "")("byte progress in the shared state", () => {
  const team = teamContext();

  it("a follower sees a runner's transfer progress rise, at most one write a second", async () => {
    // Enough data, sent slowly enough, that the transfer runs for several seconds.
    await seedBulkData("portal-src", "/srv/portal/bulk", { bytes: 24 * 1024 * 1024, smallFiles: 20 });
    const derived = derivePlan({
      workloads: ["portal"],
      name: "team-progress",
      edit: (plan) => {
        plan.defaults = { ...plan.defaults, bandwidth: "3MiB/s" };
      },
    });
    team.runners.push(startRunner(team.db, "room-a", ["--hosts", "portal-src"]));
    const apply = startCli(
      ["apply", derived.planFile, "--yes", "--state", team.db.url, "--output", "json"],
      team.db.env,
    );

    const status = async (): Promise<Reading | undefined> => {
      const result = await runCli(
        ["status", derived.planFile, "--state", team.db.url, "--json"],
        team.db.env,
      );
      const view = JSON.parse(result.stdout) as {
        waves: { bureaus: { workloads: { name: string; progress?: Reading }[] }[] }[];
      };
      return view.waves.flatMap((w) => w.bureaus.flatMap((b) => b.workloads)).find((w) => w.name === "portal")
        ?.progress;
    };
    const first = await waitFor(async () => {
      const reading = await status();
      return reading?.step === "transfer" && reading.bytesDone > 0 && reading;
    }, "status to show portal's transfer progress");
    expect(first.bytesTotal).toBeGreaterThan(20 * 1024 * 1024);
    expect(first.rateBps).toBeGreaterThan(0);
    expect(first.etaMs).toBeGreaterThan(0);
    const later = await waitFor(async () => {
      const reading = await status();
      return reading && reading.bytesDone > first.bytesDone && reading;
    }, "status to show more bytes done");
    expect(Date.parse(later.at)).toBeGreaterThan(Date.parse(first.at));
    const text = await runCli(["status", derived.planFile, "--state", team.db.url], team.db.env);
    expect(text.stdout).toMatch(
      /^ {6}transfer \d+% \(\d+\.\d MiB of \d+\.\d MiB\), \d+\.\d MiB\/s, ETA \d+:\d\d, as of /m,
    );

    const done = await apply;
    expect(done.exitCode, String(done.stderr)).toBe(0);
    const events = String(done.stdout)
      .trim()
      .split("\n")
      .map(
        (line) => JSON.parse(line) as { v: number; type: string; workload?: string; step?: string } & Reading,
      );
    const progress = events.filter((e) => e.type === "step-progress" && e.workload === "portal");
    const transfer = progress.filter((e) => e.step === "transfer");
    expect(transfer.length).toBeGreaterThanOrEqual(3);
    const sent = transfer.map((e) => e.bytesDone);
    expect(sent).toEqual([...sent].sort((a, b) => a - b));
    expect(sent.at(-1)).toBeGreaterThan(sent[0] as number);
    expect(transfer.every((e) => e.v === 1 && e.bytesTotal > 0 && e.rateBps >= 0)).toBe(true);
    // Every progress event falls inside its step, as in a local apply's stream.
    const start = events.findIndex((e) => e.type === "step-start" && e.step === "transfer");
    const end = events.findIndex((e) => e.type === "step-end" && e.step === "transfer");
    const at = events.indexOf(transfer[0]!);
    expect(start).toBeLessThan(at);
    expect(events.indexOf(transfer.at(-1)!)).toBeLessThan(end);

    // One row per workload, rewritten at most once a second (plus the final write).
    const rows = await team.db.pool.query<{ version: string; step: string }>(
      "SELECT version, step FROM progress WHERE plan = $1",
      [derived.planName],
    );
    expect(rows.rows).toHaveLength(1);
    // The workload's whole time under the runner: every step's progress shares the one row.
    const records = (await journalRows(team.db, derived.planName)).map((row) => row.record);
    const began = records.find((r) => r.type === "step-start")?.at;
    const ended = records.find((r) => r.type === "workload-end")?.at;
    const seconds = (Date.parse(ended ?? "") - Date.parse(began ?? "")) / 1000;
    expect(seconds).toBeGreaterThan(3);
    const writes = Number(rows.rows[0]?.version);
    expect(writes).toBeGreaterThanOrEqual(transfer.length);
    process.stderr.write(
      `team-progress: ${writes} progress writes in ${seconds.toFixed(1)} s of the workload; ${transfer.length} transfer readings followed\n`,
    );
    expect(writes).toBeLessThanOrEqual(Math.ceil(seconds) + 2);
  });
});
