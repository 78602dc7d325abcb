/**
 * Stopping apply while the source is frozen, on the real fleet: Ctrl-C (SIGINT), SIGTERM or `q`
 * in the live view during cutover or during verify. The README promises that such a workload is
 * rolled back so no source is left frozen: the step is journaled as interrupted, the run exits
 * 130, and on the hosts the gateway sends traffic to the source again with the source's nginx
 * running.
 *
 * To hold the run inside a phase long enough to stop it there, the cutover here is a `command`
 * cutover that repoints the gateway and then waits, and the verify case puts a waiting check
 * first; the signal is sent once the hosts show the run is in that phase (no guessed sleeps).
 */
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, inject, it } from "vitest";
import type { PlanInput } from "../../src/plan/schema.ts";
import { openTerminal, type Terminal } from "../support/tmux.ts";
import { BIN, journalOf, ofType, startCli, until } from "./apply-support.ts";
import { address, preparePlan, resetFleet, sh } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");
const PLAN_NAME = "fleet-city-bureaus";
const UPSTREAM = "/etc/nginx/conf.d/portal.upstream";
const MARK = "/tmp/migrate-e2e-phase-reached";

type Phase = "cutover" | "verify";

function portal(plan: PlanInput) {
  const workload = plan.workloads?.find((w) => w.name === "portal");
  if (!workload) throw new Error("the fleet plan has no portal workload");
  return workload;
}

/** The fleet plan, with the portal held in `phase` until the test stops the run. */
function heldIn(phase: Phase) {
  return preparePlan((plan) => {
    const upstream = (host: string) =>
      `printf 'upstream portal { server ${address(host)}:80; }\\n' > ${UPSTREAM.replace(".upstream", ".tmp")} && mv ${UPSTREAM.replace(".upstream", ".tmp")} ${UPSTREAM} && nginx -s reload`;
    if (phase === "cutover") {
      portal(plan).cutover = {
        strategy: "command",
        host: "gw",
        run: `${upstream("tgt-1")} && touch ${MARK} && sleep 120`,
        undo: upstream("portal-src"),
      };
    } else {
      portal(plan).verify = [{ command: { host: "tgt-1", run: `touch ${MARK} && sleep 120` } }];
    }
  });
}

async function markExists(host: string): Promise<boolean> {
  return (await sh(host, `test -f ${MARK}`)).code === 0;
}

async function waitUntilHeld(phase: Phase, stateDir: string): Promise<void> {
  await until(
    () => ofType(journalOf(stateDir, PLAN_NAME), "step-start").some((r) => r.key === `portal/${phase}`),
    `portal/${phase} to start`,
    240_000,
  );
  const host = phase === "cutover" ? "gw" : "tgt-1";
  const deadline = Date.now() + 120_000;
  while (!(await markExists(host))) {
    if (Date.now() > deadline) throw new Error(`portal/${phase} never reached its waiting command`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The gateway's answer once the reload settled: a 502 (the stopped target) is asked again for 10 s. */
async function servedFromSource(): Promise<Response> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const response = await fetch(`http://${address("gw")}/portal/`, { signal: AbortSignal.timeout(10_000) });
    if (response.status !== 502 || Date.now() > deadline) return response;
    await response.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** What every stop during cutover or verify must leave behind, in the journal and on the hosts. */
async function expectRolledBack(phase: Phase, stateDir: string): Promise<void> {
  const records = journalOf(stateDir, PLAN_NAME);
  expect(ofType(records, "step-interrupted").map((r) => r.key)).toEqual([`portal/${phase}`]);
  expect(ofType(records, "step-finish").filter((r) => r.key === "portal/rollback")).toHaveLength(1);
  expect(ofType(records, "workload-end").find((r) => r.workload === "portal")).toMatchObject({
    status: "interrupted",
    reason: expect.stringContaining(`interrupted during ${phase}; rolled back`),
  });
  expect(ofType(records, "run-end")[0]?.status).toBe("interrupted");

  const upstream = await sh("gw", `cat ${UPSTREAM}`);
  expect(upstream.stdout).toBe(`upstream portal { server ${address("portal-src")}:80; }\n`);
  expect((await sh("portal-src", "systemctl is-active nginx")).stdout.trim()).toBe("active");
  // `nginx -s reload` (the undo) only signals the gateway's master, which starts workers with
  // the new upstream a moment later: until then the old workers still proxy to the target.
  const response = await servedFromSource();
  expect(response.status).toBe(200);
  expect(await response.text()).toContain("市政务服务网");
}

describe.skipIf(skipReason !== "")(
  "stopping apply while the source is frozen rolls the workload back",
  () => {
    let term: Terminal | undefined;

    beforeEach(async () => {
      await resetFleet();
      for (const host of ["gw", "tgt-1"]) await sh(host, `rm -f ${MARK}`);
    });
    afterAll(async () => {
      term?.kill();
      for (const host of ["gw", "tgt-1"]) await sh(host, `rm -f ${MARK}`);
      await resetFleet();
    });

    it.each([
      ["SIGINT", "cutover"],
      ["SIGTERM", "cutover"],
      ["SIGTERM", "verify"],
    ] as const)("%s during %s", async (signal, phase) => {
      const { planFile, stateDir } = heldIn(phase);
      const child = startCli(["apply", planFile, "--yes", "--only", "portal", "--state-dir", stateDir]);
      await waitUntilHeld(phase, stateDir);
      child.kill(signal);
      const result = await child;
      expect(result.exitCode, String(result.stderr)).toBe(130);
      expect(String(result.stderr)).toContain(`Resume with: migrate apply ${planFile} --yes`);
      await expectRolledBack(phase, stateDir);
    });

    it("q in the live view during verify", async () => {
      const { planFile, stateDir } = heldIn("verify");
      term = openTerminal(`${BIN} apply ${planFile} --yes --only portal --state-dir ${stateDir}`, {
        cwd: join(import.meta.dirname, "../.."),
      });
      try {
        await waitUntilHeld("verify", stateDir);
        term.send("q");
        const end = await term.waitFor(/EXIT=\d+/, 120_000);
        expect(end).toContain("EXIT=130");
        expect(end).toMatch(/■ portal\s+interrupted/);
      } finally {
        term.kill();
        term = undefined;
      }
      await expectRolledBack("verify", stateDir);
    });
  },
);
