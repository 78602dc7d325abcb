/**
 * Every time a person reads is in the plan's `defaults.timezone` with its offset: the sign-off
 * report, `status` and `logs`; the journal and --json keep ISO UTC.
 */
import { describe, expect, it } from "vitest";
import { buildStatus, formatStatus } from "../../../src/engine/journal/status.ts";
import { formatLog } from "../../../src/log/pretty.ts";
import { Plan } from "../../../src/plan/schema.ts";
import { palette } from "../../../src/render/colour.ts";
import { renderHtml } from "../../../src/report/html.ts";
import { renderMarkdown } from "../../../src/report/markdown.ts";
import { buildReport } from "../../../src/report/model.ts";
import { factoryPlan, factoryRecords } from "../../support/journal-factory.ts";

const inZone = (timezone: string): Plan =>
  Plan.parse({ ...factoryPlan, defaults: { ...factoryPlan.defaults, timezone } });
const now = new Date("2026-12-07T09:00:00Z");

describe("report times", () => {
  it("writes run, step, failure and rollback times in the plan's zone with the offset", () => {
    const model = buildReport({
      plan: inZone("Asia/Shanghai"),
      planFile: "plan.yaml",
      records: factoryRecords(),
      now,
    });
    const md = renderMarkdown(model);
    expect(md).toContain("Generated: 2026-12-07 17:00:00 +08:00");
    expect(md).toMatch(/\| Started \| 2026-12-05 22:00:00 \+08:00 \|/);
    // The rollback journaled at 14:00:17Z.
    expect(md).toContain("2026-12-05 22:00:17 +08:00");
    expect(md).not.toMatch(/\d\d:\d\d:\d\dZ/);
    const html = renderHtml(model);
    expect(html).toContain("Generated 2026-12-07 17:00:00 +08:00");
    expect(html).toContain("<td>2026-12-05 22:00:17 +08:00</td>");
  });

  it("follows the plan's zone, not the machine's", () => {
    const md = renderMarkdown(
      buildReport({ plan: inZone("Europe/Berlin"), planFile: "plan.yaml", records: factoryRecords(), now }),
    );
    expect(md).toContain("Generated: 2026-12-07 10:00:00 +01:00");
    expect(md).toContain("2026-12-05 15:00:17 +01:00");
  });
});

describe("status times", () => {
  it("shows who runs apply since when, and when the last run started, in the plan's zone", () => {
    const plan = inZone("Asia/Shanghai");
    const records = factoryRecords();
    const idle = buildStatus(plan, "/state", { records }, undefined);
    expect(formatStatus(idle, "Asia/Shanghai")).toMatch(
      /^plan jiaxing-2026 — last run \S+ \(.*\) started 2026-12-06 22:00 \+08:00, /,
    );
    const live = buildStatus(
      plan,
      "/state",
      { records },
      {
        pid: 42,
        host: "h",
        user: "ops",
        startedAt: "2026-12-05T18:30:00.000Z",
        command: "migrate apply",
      },
    );
    expect(formatStatus(live, "Asia/Shanghai")).toContain(
      "apply running: pid 42 (ops@h) since 2026-12-06 02:30 +08:00",
    );
    // --json keeps the journal's UTC.
    expect(live.running?.startedAt).toBe("2026-12-05T18:30:00.000Z");
  });
});

describe("logs times", () => {
  it("shows each entry's time in the plan's zone to the millisecond", () => {
    const log = `${JSON.stringify({ time: "2026-12-05T14:02:11.532Z", level: "info", msg: "hello" })}\n`;
    expect(formatLog(log, palette(false), { timeZone: "Asia/Shanghai" })).toBe(
      "2026-12-05 22:02:11.532 +08:00  INFO   hello",
    );
    const epoch = `${JSON.stringify({ time: Date.parse("2026-12-05T14:02:11.532Z"), level: 30, msg: "x" })}\n`;
    expect(formatLog(epoch, palette(false), { timeZone: "UTC" })).toBe(
      "2026-12-05 14:02:11.532 +00:00  INFO   x",
    );
  });
});
