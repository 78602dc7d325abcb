import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../../src/plan/diagnostics.ts";
import { annotation } from "../../../src/render/github.ts";
import { createRenderer, type OutputMode } from "../../../src/render/index.ts";
import { SCENARIO_WORKLOADS, scenario, stamped } from "../../support/event-scenario.ts";

function capture() {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream;
  let text = "";
  (stream as unknown as PassThrough).on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { stream, text: () => text };
}

async function run(mode: OutputMode, opts: { isTTY?: boolean; noColor?: boolean; timeZone?: string } = {}) {
  const out = capture();
  const err = capture();
  const renderer = await createRenderer({
    mode,
    stdout: out.stream,
    stderr: err.stream,
    isTTY: opts.isTTY ?? false,
    noColor: opts.noColor,
    ...(opts.timeZone ? { timeZone: opts.timeZone } : {}),
    workloads: SCENARIO_WORKLOADS,
  });
  for (const event of stamped(scenario({ transferSteps: 20, tickMs: 100 }))) renderer.onEvent(event);
  await renderer.done({ message: "see migrate report" });
  return { out: out.text(), err: err.text() };
}

const diagnostic: Diagnostic = {
  file: "plans/a,b.yaml",
  line: 12,
  column: 5,
  severity: "error",
  code: "unknown-reference",
  message: "unknown host 'fin-db-9'\nsecond line 100%",
  path: ["workloads", 0, "source"],
  hint: "did you mean 'fin-db-1'?",
};

describe("plain lines", () => {
  it("writes one uncoloured line per event to stderr and nothing to stdout", async () => {
    const { out, err } = await run("plain");
    expect(out).toBe("");
    expect(err).not.toMatch(/\u001b\[/);
    const lines = err.trim().split("\n");
    expect(lines[0]).toBe(
      "2026-12-05 14:00:00 +00:00 run 20261205T140000Z-demo started: plan demo, 4 workload(s)",
    );
    expect(lines[1]).toMatch(/^14:00:00 \+00:00 wave 1 started/);
    expect(err).toMatch(
      /^(\S+ \+00:00) housing-fund verify: failed \[verify\] http:\/\/gw\/housing\/health returned 502\n\1 housing-fund verify: hint: check the target's application log; the source serves again after the rollback$/m,
    );
    expect(err).toContain("finance-portal: succeeded, downtime 650 ms");
    expect(lines.at(-2)).toBe("totals: 3/4 succeeded, 1 rolled-back; 2.50 GiB moved");
    expect(lines.at(-1)).toBe("see migrate report");
  });

  it("stamps each line in the plan's time zone with its offset, the run's start with its date", async () => {
    const { err } = await run("plain", { timeZone: "Asia/Shanghai" });
    const lines = err.trim().split("\n");
    expect(lines[0]).toBe(
      "2026-12-05 22:00:00 +08:00 run 20261205T140000Z-demo started: plan demo, 4 workload(s)",
    );
    expect(lines[1]).toMatch(/^22:00:00 \+08:00 wave 1 started/);
    expect(err).toMatch(/^22:00:\d\d \+08:00 finance-portal: succeeded, downtime 650 ms$/m);
  });

  it("keeps only one progress line per 5 s of a transfer, plus the last", async () => {
    const { err } = await run("plain");
    const progress = err
      .split("\n")
      .filter((line) => line.includes("land-revenue transfer:") && line.includes("%"));
    // 20 ticks of 100 ms = 2 s: the first and the completed one.
    expect(progress).toHaveLength(2);
    expect(progress[1]).toContain("100% 2.50 GiB/2.50 GiB");
  });

  it("colours only on a terminal without NO_COLOR", async () => {
    expect((await run("plain", { isTTY: true, noColor: false })).err).toMatch(/\u001b\[32mdone/);
    expect((await run("plain", { isTTY: true, noColor: true })).err).not.toMatch(/\u001b\[/);
  });
});

describe("NDJSON", () => {
  it("streams every event as a versioned JSON line on stdout, then a summary", async () => {
    const { out, err } = await run("json");
    expect(err).toBe("");
    const lines = out
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(stamped(scenario({ transferSteps: 20 })).length + 1);
    expect(lines.every((line) => line.v === 1 && typeof line.type === "string")).toBe(true);
    expect(lines[0]).toMatchObject({ type: "run-start", runId: "20261205T140000Z-demo" });
    expect(lines.at(-1)).toMatchObject({ type: "summary", status: "succeeded", planned: 4 });
  });

  it("writes diagnostics as JSON lines", async () => {
    const out = capture();
    const renderer = await createRenderer({ mode: "json", stdout: out.stream, isTTY: false });
    renderer.diagnostics([diagnostic]);
    expect(JSON.parse(out.text())).toMatchObject({
      v: 1,
      type: "diagnostic",
      line: 12,
      code: "unknown-reference",
    });
  });
});

describe("GitHub annotations", () => {
  it("escapes file, title and message per the workflow-command rules", () => {
    expect(annotation(diagnostic)).toBe(
      "::error file=plans/a%2Cb.yaml,line=12,col=5,title=migrate%3A unknown-reference::unknown host 'fin-db-9'%0Asecond line 100%25 (hint: did you mean 'fin-db-1'?)",
    );
    expect(annotation({ ...diagnostic, severity: "warning", hint: undefined })).toMatch(/^::warning /);
  });

  it("annotates diagnostics and failed workloads on stdout, events as plain lines on stderr", async () => {
    const out = capture();
    const err = capture();
    const renderer = await createRenderer({
      mode: "github",
      stdout: out.stream,
      stderr: err.stream,
      isTTY: false,
    });
    renderer.diagnostics([diagnostic]);
    renderer.onEvent({
      type: "workload-end",
      workload: "w",
      status: "failed",
      reason: "verify: 502",
      at: "2026-12-05T14:00:00Z",
    });
    await renderer.done();
    expect(out.text().split("\n")[0]).toMatch(/^::error file=plans\/a%2Cb.yaml,line=12,col=5/);
    expect(out.text()).toContain("::error title=migrate%3A w::verify: 502");
    expect(err.text()).toContain("w: failed: verify: 502");
  });

  it("annotates a rolled-back workload as an error too, and nothing for one that succeeded", async () => {
    const out = capture();
    const renderer = await createRenderer({
      mode: "github",
      stdout: out.stream,
      stderr: capture().stream,
      isTTY: false,
    });
    const at = "2026-12-05T14:00:00Z";
    renderer.onEvent({ type: "workload-end", workload: "ok", status: "succeeded", at });
    renderer.onEvent({
      type: "workload-end",
      workload: "back",
      status: "rolled-back",
      reason: "verify: 502; rolled back",
      at,
    });
    await renderer.done();
    expect(out.text()).toBe("::error title=migrate%3A back::verify: 502; rolled back\n");
  });
});
