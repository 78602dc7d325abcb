/**
 * The real `bin/migrate` on a plan whose wave-1 window has closed (the example as shipped before
 * its windows moved on): validate and plan warn with the location and a hint, and still exit 0
 * (a warning never makes a plan invalid).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../../..");
const bin = join(root, "bin/migrate");
const scratch = mkdtempSync(join(tmpdir(), "migrate-window-"));
const plan = join(scratch, "henan-finance.yaml");
writeFileSync(
  plan,
  readFileSync(join(root, "plans/henan-finance.yaml"), "utf8").replace(
    'window: { start: "2027-11-27T22:00+08:00", end: "2027-11-28T02:00+08:00" }',
    'window: { start: "2026-11-28T22:00+08:00", end: "2026-11-29T02:00+08:00" }',
  ),
);
const WARNING = new RegExp(
  `^${plan.replaceAll(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:57:53: warning: the maintenance window closed \\d+ days ago \\(2026-11-29T02:00\\+08:00\\); apply would copy everything, then refuse the cutover \\(hint: agree a coming maintenance window with the bureau and set window.start and window.end to it\\)$`,
  "m",
);

describe("a plan whose window has closed", { timeout: 90_000 }, () => {
  it("validate warns at the window's end and exits 0", async () => {
    const r = await execa(bin, ["validate", plan], { cwd: root, reject: false });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(WARNING);
    expect(r.stdout).toContain(`${plan}: valid, 1 warning`);
  });

  it("plan warns on stderr before the dry run", async () => {
    const r = await execa(bin, ["plan", plan, "--state-dir", scratch], { cwd: root, reject: false });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(WARNING);
  });
});
