/**
 * Completion in real interactive shells (tmux): load the script printed by
 * `bin/migrate completion bash|zsh`, type a partial command line, press Tab, read the screen.
 */
import { afterEach, describe, expect, it } from "vitest";
import { openTerminal, type Terminal } from "../support/tmux.ts";

const root = new URL("../..", import.meta.url).pathname;
let term: Terminal | undefined;
afterEach(() => term?.kill());

describe("shell completion typed at a prompt", () => {
  it("bash completes commands, flags and flag values", async () => {
    term = openTerminal("env -i HOME=/tmp TERM=xterm PATH=/usr/bin:/bin bash --norc --noprofile", {
      cwd: root,
    });
    term.send(`PS1='$ '; eval "$(${root}bin/migrate completion bash)"; echo loaded`, "Enter");
    await term.waitFor(/^loaded$/m);
    term.send("migrate rep", "Tab");
    await term.waitFor(/\$ migrate report\s*$/m);
    term.send("plan.yaml --for", "Tab");
    await term.waitFor(/\$ migrate report plan\.yaml --format\s*$/m);
    term.send("h", "Tab");
    await term.waitFor(/\$ migrate report plan\.yaml --format html\s*$/m);
  });

  it("zsh completes commands, flags and lists flag values", async () => {
    term = openTerminal("env -i HOME=/tmp TERM=xterm PATH=/usr/bin:/bin zsh -f", { cwd: root });
    term.send(
      `PS1='%% '; autoload -U compinit && compinit -u && eval "$(${root}bin/migrate completion zsh)" && echo loaded`,
      "Enter",
    );
    await term.waitFor(/^loaded$/m);
    term.send("migrate rep", "Tab");
    await term.waitFor(/% migrate report\s*$/m);
    term.send("plan.yaml --for", "Tab");
    await term.waitFor(/% migrate report plan\.yaml --format\s*$/m);
    term.send("Tab");
    const screen = await term.waitFor(/^html\s+md\s*$/m);
    expect(screen).toContain("migrate report plan.yaml --format");
  });
});
