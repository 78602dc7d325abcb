import { describe, expect, it } from "vitest";
import { formatLog } from "../../../src/log/pretty.ts";
import { palette } from "../../../src/render/colour.ts";

const plain = palette(false);
const log = [
  { time: "2026-11-25T14:00:00.000Z", level: "info", msg: "run-start", event: "run-start" },
  { time: "2026-11-25T14:00:01.000Z", level: 30, msg: "remote command", workload: "portal", host: "tgt-1" },
  { time: "2026-11-25T14:00:02.000Z", level: "warn", msg: "window closes soon", workload: "tax" },
  { time: "2026-11-25T14:00:03.000Z", level: 50, msg: "step-fail", workload: "portal", step: "verify" },
]
  .map((entry) => JSON.stringify(entry))
  .concat("not json: torn tail")
  .join("\n");

const messages = (text: string) => text.split("\n").map((line) => line.split("  ").at(-1));

describe("formatLog filters", () => {
  // Run logs write labels ("info"); numbers (pino's default) are kept in two entries above.
  it("shows everything without a filter", () => {
    expect(formatLog(log, plain).split("\n")).toHaveLength(5);
  });

  it("--level warn keeps warnings and errors, and lines that are not JSON", () => {
    expect(messages(formatLog(log, plain, { level: "warn" }))).toEqual([
      "window closes soon",
      "step-fail",
      "not json: torn tail",
    ]);
  });

  it("--workload keeps one workload's entries; combined with --level both apply", () => {
    expect(formatLog(log, plain, { workload: "portal" }).split("\n")).toHaveLength(3);
    const errors = formatLog(log, plain, { workload: "portal", level: "error" });
    expect(errors).toContain("step-fail");
    expect(errors).not.toContain("remote command");
  });
});
