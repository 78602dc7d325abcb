/**
 * The documented NDJSON schema (schema/events.schema.json) accepts every line the json renderer
 * writes for a whole run, diagnostics and the summary, and rejects lines that break it.
 */
import { readFileSync } from "node:fs";
import { PassThrough } from "node:stream";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { createRenderer } from "../../../src/render/index.ts";
import { SCENARIO_WORKLOADS, scenario, stamped } from "../../support/event-scenario.ts";

const schema = JSON.parse(
  readFileSync(new URL("../../../schema/events.schema.json", import.meta.url), "utf8"),
);
const validate = new Ajv2020({ strict: false }).compile(schema);

async function ndjson(): Promise<unknown[]> {
  const out = new PassThrough();
  let text = "";
  out.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  const stdout = out as unknown as NodeJS.WriteStream;
  const renderer = await createRenderer({
    mode: "json",
    stdout,
    isTTY: false,
    workloads: SCENARIO_WORKLOADS,
  });
  renderer.diagnostics([
    {
      file: "p.yaml",
      line: 3,
      column: 5,
      severity: "warning",
      code: "x",
      message: "m",
      path: ["workloads", 0],
    },
  ]);
  for (const event of stamped(scenario({ transferSteps: 3 }))) renderer.onEvent(event);
  renderer.onEvent({ type: "log", level: "warn", message: "slow", at: "2026-12-05T14:00:00.000Z" });
  await renderer.done({ message: "done" });
  return text
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
}

describe("NDJSON event schema v1", () => {
  it("accepts every line of a run", async () => {
    const lines = await ndjson();
    const types = new Set(lines.map((line) => (line as { type: string }).type));
    expect(types).toEqual(
      new Set([
        "diagnostic",
        "run-start",
        "wave-start",
        "step-start",
        "step-end",
        "step-progress",
        "cutover-freeze",
        "step-fail",
        "rollback-start",
        "rollback-end",
        "workload-end",
        "wave-end",
        "run-end",
        "log",
        "summary",
      ]),
    );
    for (const line of lines) expect(validate(line), JSON.stringify(validate.errors)).toBe(true);
  });

  it("accepts a rehearsal's end as the recorder derives it, passed or failed", () => {
    const at = "2026-12-03T02:00:00.000Z";
    const passed = {
      v: 1,
      type: "rehearsal-end",
      workload: "tax",
      ok: true,
      durationMs: 2800,
      checks: [{ name: "http http://gw/tax/health → http://10.9.0.2:8080/health", ok: true, detail: "200" }],
      projectedDowntimeMs: 6262,
      started: ["tax.service"],
      at,
    };
    expect(validate(passed), JSON.stringify(validate.errors)).toBe(true);
    expect(
      validate({ v: 1, type: "rehearsal-end", workload: "tax", ok: false, message: "verify failed", at }),
    ).toBe(true);
    expect(validate({ v: 1, type: "rehearsal-end", workload: "tax", at })).toBe(false);
  });

  it("rejects a line without its version or with a broken known type", () => {
    expect(validate({ type: "wave-end", wave: 1, at: "2026-12-05T14:00:00Z" })).toBe(false);
    expect(validate({ v: 1, type: "step-start", workload: "w", step: "teleport", attempt: 1, at: "x" })).toBe(
      false,
    );
  });
});
