/**
 * Issue 11 items 3 and 4, on the fleet: the cutover is journaled sub-phase by sub-phase, and a
 * resumed apply continues after the last one.
 *  - Killed (SIGKILL) the moment the gateway switched: the resume never runs the final sync
 *    again, so what the target's application wrote since survives, and traffic stays on it.
 *  - Resumed after the maintenance window closed: a cutover that froze the source but never
 *    switched is deferred (source services started again, traffic on the source, journaled as
 *    such); one that already switched is finished (verified), not abandoned.
 */
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { JournalRecord } from "../../src/engine/journal/journal-record.ts";
import { hostFile, journalText, killWhen } from "./support/messy.ts";
import { address, apply, journal, preparePlan, resetFleet, sh } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");
const UPSTREAM = "/etc/nginx/conf.d/portal.upstream";

const switched = () => hostFile("gw", UPSTREAM).includes(`${address("tgt-1")}:`);
const frozen = (stateDir: string) => () =>
  journalText(stateDir)
    .split("\n")
    .some((line) => line.includes('"step-checkpoint"') && line.includes('"portal/cutover"'));

function runsOf(records: JournalRecord[]): string[] {
  return records.filter((r) => r.type === "run-start").map((r) => r.runId);
}

/** A plan whose portal window closed an hour ago (the first run passes --ignore-window). */
function closedWindowPlan() {
  return preparePlan((plan) => {
    const portal = plan.workloads?.find((w) => w.name === "portal");
    if (!portal) throw new Error("no portal workload");
    const hour = 3_600_000;
    portal.window = {
      start: new Date(Date.now() - 2 * hour).toISOString(),
      end: new Date(Date.now() - hour).toISOString(),
    };
  });
}

describe.skipIf(skipReason !== "")("messy cutover: resume after the switch", () => {
  let stateDir: string;
  let killed: boolean;
  let second: { exitCode?: number | undefined; stderr: unknown };

  beforeAll(async () => {
    await resetFleet();
    const prepared = preparePlan();
    stateDir = prepared.stateDir;
    const first = apply(prepared.planFile, stateDir, ["--only", "portal"]);
    killed = await killWhen(first, switched);
    // The live target takes a write the source never had.
    await sh("tgt-1", "echo written-after-switch > /srv/portal/htdocs/after-switch.html");
    second = await apply(prepared.planFile, stateDir, ["--only", "portal"]);
  });

  it("was killed after the switch and the resume succeeds", () => {
    expect(killed).toBe(true);
    expect(second.exitCode, String(second.stderr)).toBe(0);
    const end = journal(stateDir)
      .filter((r) => r.type === "workload-end")
      .at(-1);
    expect(end).toMatchObject({ workload: "portal", status: "succeeded" });
  });

  it("keeps what the target wrote after the switch: no final sync ran again", async () => {
    expect((await sh("tgt-1", "cat /srv/portal/htdocs/after-switch.html")).stdout).toBe(
      "written-after-switch\n",
    );
    const records = journal(stateDir);
    const resumed = runsOf(records).at(-1);
    const phases = records
      .filter((r) => r.type === "step-checkpoint" && r.runId === resumed && r.key === "portal/cutover")
      .map((r) => (r.type === "step-checkpoint" && r.step === "cutover" ? r.data.phase : undefined));
    expect(phases).not.toContain("frozen");
    expect(phases).not.toContain("synced");
    expect(phases).not.toContain("restored");
  });

  it("leaves traffic on the target", async () => {
    expect(hostFile("gw", UPSTREAM)).toBe(`upstream portal { server ${address("tgt-1")}:80; }\n`);
    const response = await fetch(`http://${address("gw")}/portal/after-switch.html`, {
      signal: AbortSignal.timeout(10_000),
    });
    expect(await response.text()).toBe("written-after-switch\n");
  });
});

describe.skipIf(skipReason !== "")("messy cutover: resume after the window closed", () => {
  it("defers a frozen, unswitched cutover: the source serves again", async () => {
    await resetFleet();
    const { planFile, stateDir } = closedWindowPlan();
    const first = apply(planFile, stateDir, ["--only", "portal", "--ignore-window"]);
    expect(await killWhen(first, frozen(stateDir))).toBe(true);
    expect((await sh("portal-src", "systemctl is-active nginx")).stdout.trim()).toBe("inactive");

    const resumed = await apply(planFile, stateDir, ["--only", "portal"]);
    expect(resumed.exitCode, resumed.stderr).toBe(3);
    const end = journal(stateDir)
      .filter((r) => r.type === "workload-end")
      .at(-1);
    expect(end).toMatchObject({ workload: "portal", status: "rolled-back" });
    expect(end?.type === "workload-end" && end.reason).toMatch(
      /cutover deferred: the maintenance window .* has closed/,
    );
    expect((await sh("portal-src", "systemctl is-active nginx")).stdout.trim()).toBe("active");
    expect(hostFile("gw", UPSTREAM)).toBe(`upstream portal { server ${address("portal-src")}:80; }\n`);
    const response = await fetch(`http://${address("gw")}/portal/`, { signal: AbortSignal.timeout(10_000) });
    expect(response.status).toBe(200);
  });

  it("finishes a cutover that already switched, window or not", async () => {
    await resetFleet();
    const { planFile, stateDir } = closedWindowPlan();
    const first = apply(planFile, stateDir, ["--only", "portal", "--ignore-window"]);
    expect(await killWhen(first, switched)).toBe(true);

    const resumed = await apply(planFile, stateDir, ["--only", "portal"]);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    const end = journal(stateDir)
      .filter((r) => r.type === "workload-end")
      .at(-1);
    expect(end).toMatchObject({ workload: "portal", status: "succeeded" });
    expect(hostFile("gw", UPSTREAM)).toBe(`upstream portal { server ${address("tgt-1")}:80; }\n`);
  });
});
