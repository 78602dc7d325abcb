/** The inventory's live host table in a real terminal (tmux), against the real fleet. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, inject, it } from "vitest";
import { readFleet } from "../../fixtures/fleet/index.ts";
import { openTerminal, type Terminal } from "../support/tmux.ts";

const skipReason = inject("e2eSkipReason");
const root = new URL("../..", import.meta.url).pathname;

describe.skipIf(skipReason !== "")("inventory live view in a terminal", () => {
  let term: Terminal | undefined;
  afterEach(() => term?.kill());

  it("lists every fleet host with its outcome while stdout stays the data", async () => {
    const fleet = readFleet();
    // A directory of its own: the fleet's directory is not this test's, and in one CI run the
    // terminal's shell could not create a file there.
    const dir = mkdtempSync(join(tmpdir(), "tui-inventory-"));
    const out = join(dir, "table.txt");
    term = openTerminal(`${join(root, "bin/migrate")} inventory ${fleet.planFile} > ${out}`, {
      cwd: root,
    });
    const end = await term.waitFor(/EXIT=\d+/, 60_000);
    expect(end).toContain("EXIT=0");
    expect(end).toContain("migrate inventory of 8 hosts");
    for (const host of ["bastion", "gw", "portal-src", "tax-src", "lic-src", "tgt-1", "tgt-2", "tgt-3"]) {
      expect(end).toMatch(new RegExp(`✔ ${host}\\s+(source|target)\\s+ok`));
    }
    expect(end).toContain("Hosts: 8 ok · 0 unreachable · 0 asking · 0 waiting");
    // The live view went to the terminal (stderr); the table on stdout is untouched by it.
    const table = readFileSync(out, "utf8");
    rmSync(dir, { recursive: true });
    expect(table).toMatch(/^HOST\s+ROLE\s+STATUS/);
    expect(table).not.toContain("Hosts: 8 ok");
  });
});
