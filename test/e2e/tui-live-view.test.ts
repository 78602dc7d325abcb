/**
 * The live view in a real terminal (tmux): the renderer is driven by a replayed engine event
 * stream at real speed (test/support/replay-events.ts). The real-apply twin is tui-apply.test.ts.
 */
import { afterEach, describe, expect, it } from "vitest";
import { openTerminal, type Terminal } from "../support/tmux.ts";

const root = new URL("../..", import.meta.url).pathname;
let term: Terminal | undefined;
afterEach(() => term?.kill());

const replay = (tickMs: number, verifyMs = 300) =>
  `node --import tsx test/support/replay-events.ts auto ${tickMs} ${verifyMs}`;

describe("live view in a terminal", () => {
  it("shows waves, bureaus, a transfer bar with rate and ETA, and totals", async () => {
    term = openTerminal(replay(150), { cwd: root });
    const screen = await term.waitFor(/transfer\s+\[#+\.+\] \d+% .* MiB\/s ETA \d+:\d\d/);
    expect(screen).toMatch(/Wave 1 · running/);
    expect(screen).toMatch(/Wave 2 · pending · 1 workload\(s\) · food-and-drug/);
    expect(screen).toMatch(/^ {2}finance$/m);
    expect(screen).toMatch(/^ {2}housing-fund-centre$/m);
    expect(screen).toMatch(/Totals: 0\/4 succeeded/);
    expect(screen).toContain("q or Ctrl-C: stop gracefully");
  });

  it("runs a downtime clock from the freeze, beside the budget, ticking between events", async () => {
    // No event arrives while verify runs for 8 s: only the view's own clock can move. Two frames
    // in verify showing different clock values prove it ticks; no particular second has to be
    // caught, so a screen poll slowed down by a loaded machine cannot miss it.
    term = openTerminal(replay(20, 8000), { cwd: root });
    const clock = /finance-portal\s+verify\s+DOWNTIME (\d+):(\d\d) \/ budget 5:00/;
    const seconds = (screen: string) => {
      const [, minutes, secs] = clock.exec(screen)!;
      return Number(minutes) * 60 + Number(secs);
    };
    const screen = await term.waitFor(clock);
    expect(screen).toMatch(/^ {2}finance$/m);
    const first = seconds(screen);
    let later = first;
    while (later === first) later = seconds(await term.waitFor(clock));
    expect(later).toBeGreaterThan(first);
    // Counted from the freeze, which came just before verify (not from the run's start).
    expect(later).toBeLessThanOrEqual(16);
    const end = await term.waitFor(/EXIT=0/);
    expect(end).toMatch(/✔ finance-portal\s+succeeded\s+wave 1 · finance · downtime 16\.\d s \/ budget 5:00/);
  });

  it("runs to the end: finished workloads above, downtime, failure reason, exit 0", async () => {
    term = openTerminal(replay(5), { cwd: root });
    const screen = await term.waitFor(/EXIT=0/);
    expect(screen).toMatch(
      /✔ finance-portal\s+succeeded\s+wave 1 · finance · downtime 650 ms \/ budget 5:00/,
    );
    expect(screen).toMatch(/↺ housing-fund\s+rolled-back .*verify: returned 502/);
    expect(screen).toMatch(/Wave 2 · done/);
    expect(screen).toMatch(/Totals: 3\/4 succeeded · 0 failed · 1 rolled back · 0 running · 2\.50 GiB moved/);
  });

  it("q stops gracefully: says how to resume, in-flight workloads end interrupted, exit 130", async () => {
    term = openTerminal(replay(150), { cwd: root });
    await term.waitFor(/transfer\s+\[#/);
    term.send("q");
    const stopping = await term.waitFor(/stopping… in-flight steps are being journaled/);
    expect(stopping).toMatch(/^resume with: migrate apply demo\.yaml --yes$/m);
    expect(stopping).toContain("press Ctrl-C again to abort at once");
    const end = await term.waitFor(/EXIT=130/);
    expect(end).toMatch(/■ land-revenue\s+interrupted/);
    expect(end).toContain("Interrupted. Resume with: migrate apply demo.yaml --yes");
  });

  it("a second Ctrl-C aborts at once with exit 130", async () => {
    term = openTerminal(replay(150), { cwd: root });
    await term.waitFor(/transfer\s+\[#/);
    term.send("C-c");
    await term.waitFor(/stopping…/);
    term.send("C-c");
    const end = await term.waitFor(/EXIT=130/, 5000);
    expect(end).toContain("aborted");
    // Aborted before the replay's graceful ending could print its interrupted workloads.
    expect(end).not.toContain("Interrupted. Resume with");
  });
});
