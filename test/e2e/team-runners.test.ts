/**
 * Team scale on a real PostgreSQL (a dedicated state database beside the fleet): three runner
 * processes split the plan by the source hosts each reaches; a second operator's apply is
 * refused while the first runs; status from another process sees the run; the journal lands in
 * the database with each record's runner and lease generation.
 */
import { describe, expect, inject, it } from "vitest";
import { runCli, startCli } from "./apply-support.ts";
import { journalRows, startRunner, teamContext, waitFor } from "./support/team.ts";

const skipReason = inject("e2eSkipReason");
const PLAN = "fleet-city-bureaus";

describe.skipIf(skipReason !== "")("shared state with three runners", () => {
  const team = teamContext();
  const { runners } = team;

  it("refuses a password in --state before connecting", async () => {
    const { fleet } = team;
    const result = await runCli([
      "status",
      fleet.planFile,
      "--state",
      "postgres://migrate:hunter2@127.0.0.1/x",
    ]);
    expect(result.exitCode).toBe(64);
    expect(result.stderr).toContain("--state carries a password");
    expect(result.stderr).not.toContain("hunter2");
  });

  it("splits the plan across runners by the hosts each reaches; two applies at once make one run; status from another desk", async () => {
    const { fleet, db } = team;
    runners.push(
      startRunner(db, "room-a", ["--hosts", "portal-src", "--lease-seconds", "5"]),
      startRunner(db, "room-b", ["--hosts", "tax-src", "--lease-seconds", "5"]),
      startRunner(db, "room-c", ["--hosts", "lic-src", "--lease-seconds", "5"]),
    );
    const args = ["apply", fleet.planFile, "--yes", "--state", db.url, "--output", "json"];
    // Two operators start at the same moment: one run is created, the other apply is refused
    // (and, being refused, ends long before the winner's run does).
    const desks = [startCli(args, db.env), startCli(args, db.env)];
    const refusedAt = await Promise.race(desks.map((desk, index) => desk.then(() => index)));
    const second = await desks[refusedAt]!;
    const first = desks[1 - refusedAt]!;
    expect(second.exitCode, String(second.stderr)).toBe(5);
    expect(second.stderr).toMatch(/being applied in the shared state by run \S+ started by pid \d+/);

    const status = await waitFor(async () => {
      const result = await runCli(["status", fleet.planFile, "--state", db.url, "--json"], db.env);
      const view = JSON.parse(result.stdout) as { running?: unknown; counts: Record<string, number> };
      return view.running ? view : undefined;
    }, "status showing the running apply");
    expect(status.running).toMatchObject({ command: expect.stringContaining("migrate apply") });

    const done = await first;
    expect(done.exitCode, String(done.stderr)).toBe(0);
    const events = String(done.stdout)
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string; workload?: string; status?: string });
    expect(events.filter((e) => e.type === "workload-end").map((e) => [e.workload, e.status])).toEqual(
      expect.arrayContaining([
        ["portal", "succeeded"],
        ["tax-collection", "succeeded"],
        ["licensing", "succeeded"],
      ]),
    );
    expect(events.find((e) => e.type === "run-end")).toMatchObject({ status: "succeeded" });

    const rows = await journalRows(db, PLAN);
    const byWorkload = new Map<string, Set<string>>();
    for (const row of rows) {
      if (row.runner && row.workload)
        byWorkload.set(row.workload, (byWorkload.get(row.workload) ?? new Set()).add(row.runner));
    }
    expect(Object.fromEntries([...byWorkload].map(([w, set]) => [w, [...set]]))).toEqual({
      portal: ["room-a"],
      "tax-collection": ["room-b"],
      licensing: ["room-c"],
    });
    const after = await runCli(["status", fleet.planFile, "--state", db.url, "--json"], db.env);
    expect(JSON.parse(after.stdout)).toMatchObject({ counts: { succeeded: 3 } });
  });
});
