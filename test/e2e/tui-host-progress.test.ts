/** The per-host live view (inventory) in a real terminal (tmux), driven by test/support/replay-hosts.ts. */
import { afterEach, describe, expect, it } from "vitest";
import { openTerminal, type Terminal } from "../support/tmux.ts";

const root = new URL("../..", import.meta.url).pathname;
let term: Terminal | undefined;
afterEach(() => term?.kill());

describe("host progress view in a terminal", () => {
  it("shows hosts being asked, their outcome and the reason a host failed", async () => {
    term = openTerminal("node --import tsx test/support/replay-hosts.ts 1500", { cwd: root });
    const during = await term.waitFor(/✔ portal-src\s+source\s+ok/);
    expect(during).toMatch(/… tax-src\s+source\s+running/);
    expect(during).toContain("migrate inventory demo");
    const end = await term.waitFor(/EXIT=0/);
    expect(end).toMatch(
      /✘ tgt-9\s+target\s+failed\s+\S+ s\s+cannot connect to 127\.0\.12\.9:22: connection refused/,
    );
    expect(end).toContain("Hosts: 2 ok · 1 unreachable · 0 asking · 0 waiting");
  });
});
