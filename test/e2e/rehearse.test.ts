/**
 * Issue 14 items 1 and 2 on the fleet, one story on one fleet set-up: portal taken to "ready for
 * cutover" with `apply --stop-before cutover`; the three systems rehearsed while the gateway still
 * sends production traffic to the sources; a second rehearsal; a keep-warm sync after a change
 * on the source; then the real apply does the cutover alone, sending only the delta, and a
 * rehearsal of a cut-over workload is refused.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { JournalRecord } from "../../src/engine/journal/journal-record.ts";
import { chromiumDom } from "../support/chromium.ts";
import { finishesOf, ofType, runCli } from "./apply-support.ts";
import { journal, preparePlan, resetFleet, sh } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");
const UPSTREAMS =
  "cat /etc/nginx/conf.d/portal.upstream /etc/nginx/conf.d/tax.upstream /etc/nginx/conf.d/licensing.upstream";
const SYSTEMS = ["portal", "tax-collection", "licensing"];

interface StatusWorkload {
  name: string;
  status: string;
  readiness: string;
  lastSyncAgeS?: number;
  downtimeMs?: number;
  rehearsal?: { ok: boolean; projectedDowntimeMs?: number };
}

/** The records of the run with this id (each CLI call is one run). */
function runRecords(records: JournalRecord[], runId: string): JournalRecord[] {
  return records.filter((record) => record.runId === runId);
}

function lastRunId(records: JournalRecord[]): string {
  return ofType(records, "run-start").at(-1)?.runId ?? "";
}

async function gatewayServesSources(): Promise<void> {
  for (const [path, body] of [
    ["portal/", "市政务服务网"],
    ["tax/health", "ok"],
    ["licensing/health", "ok"],
  ] as const) {
    const response = await fetch(`http://${gatewayAddress()}/${path}`, {
      signal: AbortSignal.timeout(10_000),
    });
    expect(response.status, path).toBe(200);
    expect(await response.text()).toContain(body);
  }
}

let gateway = "";
const gatewayAddress = () => gateway;

describe.skipIf(skipReason !== "")("rehearse, keep warm, then cut over alone", { shuffle: false }, () => {
  let planFile: string;
  let stateDir: string;
  let upstreamsBefore: string;
  const cli = (command: string, extra: string[] = []) =>
    runCli([command, planFile, "--yes", "--state-dir", stateDir, "--output", "json", ...extra]);
  const status = async (): Promise<Map<string, StatusWorkload>> => {
    const out = await runCli(["status", planFile, "--state-dir", stateDir, "--json"]);
    const view = JSON.parse(out.stdout) as { waves: { bureaus: { workloads: StatusWorkload[] }[] }[] };
    return new Map(view.waves.flatMap((w) => w.bureaus.flatMap((b) => b.workloads)).map((w) => [w.name, w]));
  };

  beforeAll(async () => {
    await resetFleet();
    ({ planFile, stateDir } = preparePlan());
    const { readFleet } = await import("../../fixtures/fleet/index.ts");
    gateway = readFleet().hosts.find((host) => host.name === "gw")?.address ?? "";
    upstreamsBefore = (await sh("gw", UPSTREAMS)).stdout;
  });

  afterAll(async () => {
    await resetFleet();
  });

  it("apply --stop-before cutover takes portal to ready for cutover without touching traffic", async () => {
    const result = await cli("apply", ["--only", "portal", "--stop-before", "cutover"]);
    expect(result.exitCode, result.stderr.slice(-2000)).toBe(0);
    const records = journal(stateDir);
    expect(ofType(records, "step-start").map((r) => r.step)).toEqual(["snapshot", "transfer", "reconfigure"]);
    expect((await status()).get("portal")?.readiness).toBe("ready for cutover");
    expect((await sh("gw", UPSTREAMS)).stdout).toBe(upstreamsBefore);
  });

  it("rehearses the three systems on their targets while the sources keep serving", async () => {
    const result = await cli("rehearse");
    expect(result.exitCode, result.stderr.slice(-3000)).toBe(0);
    const events = result.stdout
      .split("\n")
      .filter(Boolean)
      .map(
        (line) =>
          JSON.parse(line) as { type: string; workload?: string; ok?: boolean; projectedDowntimeMs?: number },
      );
    const ends = events.filter((event) => event.type === "rehearsal-end");
    expect(ends.map((event) => [event.workload, event.ok]).sort()).toEqual(
      SYSTEMS.map((name) => [name, true]).sort(),
    );
    for (const end of ends) expect(end.projectedDowntimeMs).toBeGreaterThan(0);
    // Production untouched: the gateway still points at the sources, which serve.
    expect((await sh("gw", UPSTREAMS)).stdout).toBe(upstreamsBefore);
    await gatewayServesSources();
    expect((await sh("tax-src", "systemctl is-active tax")).stdout.trim()).toBe("active");
    expect((await sh("lic-src", "systemctl is-active licensing")).stdout.trim()).toBe("active");
    // The services started for the rehearsal were stopped again; nginx on tgt-1 ran before and runs.
    expect((await sh("tgt-2", "systemctl is-active tax")).stdout.trim()).not.toBe("active");
    expect((await sh("tgt-3", "systemctl is-active licensing")).stdout.trim()).not.toBe("active");
    expect((await sh("tgt-1", "systemctl is-active nginx")).stdout.trim()).toBe("active");
    const run = runRecords(journal(stateDir), lastRunId(journal(stateDir)));
    expect(ofType(run, "run-start")[0]?.command).toBe("rehearse");
    expect(run.some((r) => "step" in r && (r.step === "cutover" || r.step === "verify"))).toBe(false);
    for (const name of SYSTEMS) {
      const rehearsal = finishesOf(run, name, "rehearse")[0]?.outputs;
      expect(
        rehearsal?.checks.every((check) => check.ok),
        name,
      ).toBe(true);
    }
    expect(finishesOf(run, "tax-collection", "rehearse")[0]?.outputs.started).toEqual(["tax.service"]);
    const view = await status();
    for (const name of SYSTEMS) {
      expect(view.get(name)?.readiness, name).toBe("rehearsed");
      expect(view.get(name)?.rehearsal?.ok).toBe(true);
      expect(view.get(name)?.lastSyncAgeS).toBeLessThan(600);
    }
    const text = await runCli(["status", planFile, "--state-dir", stateDir]);
    expect(text.stdout).toMatch(/rehearsed \d{4}-\d\d-\d\d, verify passed, projected downtime \d+ s of 15 m/);
  });

  it("the sign-off report shows the rehearsal, as Chromium renders it", async () => {
    const out = join(stateDir, "signoff.html");
    const html = ["--format", "html", "--out", out];
    const report = await runCli(["report", planFile, "--state-dir", stateDir, ...html]);
    expect(report.exitCode, report.stderr).toBe(0);
    const dom = await chromiumDom(out);
    expect(dom).toContain("Rehearsal on the targets (no freeze, no switch)");
    expect(dom).toMatch(/rehearsed \d{4}-\d\d-\d\d, verify passed, projected downtime \d+ s of 10 m/);
    expect(dom).toContain("http http://");
  });

  it("repeats a rehearsal, sending only what is not on the target yet", async () => {
    const first = finishesOf(journal(stateDir), "tax-collection", "transfer").at(-1)?.outputs;
    const result = await cli("rehearse", ["--only", "tax-collection"]);
    expect(result.exitCode, result.stderr.slice(-3000)).toBe(0);
    const again = finishesOf(journal(stateDir), "tax-collection", "transfer").at(-1)?.outputs;
    // The application's files are verified in place on the target; the new dump travels.
    expect(again?.filesInPlace).toBeGreaterThan(0);
    expect(again?.bytesSent).toBeLessThan(first?.bytesSent ?? 0);
    await gatewayServesSources();
  });

  it("a failing check fails the rehearsal and still stops the services it started", async () => {
    // Its own state directory: a plan with one more check is a changed plan for the main journal.
    // Licensing (its database is dumped), on its own: tax-collection's target database is the
    // main journal's live subscriber, which a second journal must not seed again.
    const failing = preparePlan((plan) => {
      const licensing = plan.workloads?.find((workload) => workload.name === "licensing");
      if (licensing) delete licensing.dependsOn;
      const failingCheck = { command: { host: "tgt-3", run: "test -f /srv/licensing/no-such-file" } };
      if (licensing)
        licensing.verify = [...(Array.isArray(licensing.verify) ? licensing.verify : []), failingCheck];
    });
    const result = await runCli([
      "rehearse",
      failing.planFile,
      "--yes",
      "--state-dir",
      failing.stateDir,
      "--only",
      "licensing",
    ]);
    expect(result.exitCode, result.stderr.slice(-2000)).toBe(3);
    expect(result.stderr).toContain(
      "rehearsal verify failed: command on tgt-3: test -f /srv/licensing/no-such-file",
    );
    expect((await sh("tgt-3", "systemctl is-active licensing")).stdout.trim()).not.toBe("active");
    await gatewayServesSources();
  });

  it("sync keeps portal warm: only the change travels, no freeze", async () => {
    await sh("portal-src", "printf '<!-- changed before sync -->\\n' >> /srv/portal/htdocs/index.html");
    const result = await cli("sync", ["--only", "portal"]);
    expect(result.exitCode, result.stderr.slice(-3000)).toBe(0);
    const run = runRecords(journal(stateDir), lastRunId(journal(stateDir)));
    expect(ofType(run, "run-start")[0]?.command).toBe("sync");
    const sent = finishesOf(run, "portal", "transfer")[0]?.outputs;
    // Directories always travel (their metadata); of the files, only the changed one.
    expect(sent?.filesInPlace).toBeGreaterThan(300);
    expect(sent?.bytesSent).toBeLessThan(200_000);
    expect((await status()).get("portal")?.readiness).toBe("rehearsed");
    await gatewayServesSources();
  });

  it("the real apply cuts over alone, sending only the delta since the last sync", async () => {
    await sh(
      "portal-src",
      "printf '<!-- changed before the cutover -->\\n' >> /srv/portal/htdocs/index.html",
    );
    const result = await cli("apply");
    expect(result.exitCode, result.stderr.slice(-3000)).toBe(0);
    const run = runRecords(journal(stateDir), lastRunId(journal(stateDir)));
    expect([...new Set(ofType(run, "step-start").map((r) => r.step))].sort()).toEqual(["cutover", "verify"]);
    const delta = finishesOf(run, "portal", "cutover")[0]?.outputs.delta;
    expect(delta?.filesSent).toBeGreaterThanOrEqual(1);
    expect(delta?.filesSent).toBeLessThanOrEqual(3);
    const view = await status();
    const figures: string[] = [];
    for (const name of SYSTEMS) {
      const workload = view.get(name);
      expect(workload?.readiness, name).toBe("verified");
      figures.push(
        `${name}: projected ${workload?.rehearsal?.projectedDowntimeMs} ms, measured ${workload?.downtimeMs} ms`,
      );
    }
    console.log(`rehearsal projection against the real cutover:\n${figures.join("\n")}`);
  });

  it("refuses to rehearse a workload that was cut over", async () => {
    const result = await cli("rehearse", ["--only", "portal"]);
    expect(result.exitCode).toBe(64);
    expect(result.stderr).toContain("portal was already cut over");
    expect(result.stderr).toContain("hint:");
  });
});
