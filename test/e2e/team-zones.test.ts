/**
 * Runners by network zone on a real PostgreSQL: `runner --zone Z` takes only the workloads whose
 * `zone` is Z, and with --hosts only those of its hosts too. A runner that reaches portal-src but
 * serves egov-extranet leaves the internet portal queued; the internet runner takes it.
 */
import { describe, expect, inject, it } from "vitest";
import { runCli, startCli } from "./apply-support.ts";
import { journalRows, runnersByWorkload, startRunner, teamContext, waitFor } from "./support/team.ts";

const skipReason = inject("e2eSkipReason");
const PLAN = "fleet-city-bureaus";

describe.skipIf(skipReason !== "")("runners by network zone", () => {
  const team = teamContext();
  const { runners } = team;

  it("refuses a zone that is not one", async () => {
    const { db } = team;
    const result = await runCli(["runner", "--state", db.url, "--zone", "moon"], db.env);
    expect(result.exitCode).toBe(64);
    expect(result.stderr).toContain("--zone moon is not a network zone");
    expect(result.stderr).toContain("egov-extranet");
  });

  it("takes only its zone's workloads, of its hosts", async () => {
    const { fleet, db } = team;
    // Two slots: one runs tax-collection while the other keeps polling, portal-src's queue included.
    const extranet = startRunner(db, "extranet", [
      "--zone",
      "egov-extranet",
      "--hosts",
      "tax-src,portal-src",
      "--slots",
      "2",
      "--lease-seconds",
      "5",
    ]);
    runners.push(extranet);
    const apply = startCli(["apply", fleet.planFile, "--yes", "--state", db.url, "--output", "json"], db.env);
    await waitFor(
      async () =>
        (await journalRows(db, PLAN)).some(
          (row) => row.record.type === "workload-end" && row.record.workload === "tax-collection",
        ),
      "tax-collection to end",
    );
    const portal = await db.pool.query<{ state: string; runner: string | null; zone: string }>(
      "SELECT state, runner, zone FROM work WHERE plan = $1 AND workload = 'portal'",
      [PLAN],
    );
    expect(portal.rows).toEqual([{ state: "queued", runner: null, zone: "internet" }]);

    runners.push(
      startRunner(db, "internet", ["--zone", "internet", "--lease-seconds", "5"]),
      startRunner(db, "licensing-room", [
        "--zone",
        "egov-extranet",
        "--hosts",
        "lic-src",
        "--lease-seconds",
        "5",
      ]),
    );
    const done = await apply;
    // The zones decide who ran what, whatever each workload's outcome (licensing waits for tax-collection).
    expect(done.exitCode, `${done.stdout}${done.stderr}`).not.toBe(-1);
    const rows = await journalRows(db, PLAN);
    const portalEnd = rows.find(
      (row) => row.record.type === "workload-end" && row.record.workload === "portal",
    );
    expect(portalEnd?.record).toMatchObject({ status: "succeeded" });
    const runnersOf = await runnersByWorkload(db, PLAN);
    expect(runnersOf).toMatchObject({ portal: ["internet"], "tax-collection": ["extranet"] });
    expect(runnersOf.licensing ?? ["licensing-room"]).toEqual(["licensing-room"]);
    expect(extranet.output()).toContain("serving hosts tax-src, portal-src in zone egov-extranet");
  }, 90_000);
});
