/**
 * Completion scripts generated from the real commander program, exercised in a real bash:
 * source the script, set COMP_WORDS/COMP_CWORD as bash would, call the completion function.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../../../src/cli/main.ts";
import { bashCompletion } from "../../../src/render/completion/bash.ts";
import { cliSpec } from "../../../src/render/completion/spec.ts";
import { zshCompletion } from "../../../src/render/completion/zsh.ts";

const spec = cliSpec(buildProgram());
const script = bashCompletion(spec);

/** Complete `line` (the word under the cursor is the last one, possibly empty) in real bash. */
function complete(...words: string[]): string[] {
  const program = `${script}
COMP_WORDS=(${words.map((word) => `'${word}'`).join(" ")})
COMP_CWORD=${words.length - 1}
_migrate_completion
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const out = execFileSync("bash", ["--norc", "--noprofile", "-c", program], { encoding: "utf8" });
  return out.split("\n").filter((line) => line !== "");
}

describe("bash completion", () => {
  it("offers every command first", () => {
    expect(complete("migrate", "")).toEqual(
      expect.arrayContaining([
        "validate",
        "plan",
        "schema",
        "inventory",
        "apply",
        "status",
        "rollback",
        "report",
        "logs",
        "completion",
      ]),
    );
    expect(complete("migrate", "re")).toEqual(["rehearse", "report"]);
  });

  it("offers a command's flags", () => {
    expect(complete("migrate", "apply", "plan.yaml", "--")).toEqual(
      expect.arrayContaining([
        "--yes",
        "--state-dir",
        "--ignore-window",
        "--only",
        "--accept-new-host-keys",
        "--output",
        "--help",
      ]),
    );
    expect(complete("migrate", "report", "plan.yaml", "--f")).toEqual(["--format"]);
  });

  it("offers the choices of a flag's value and of a choice argument", () => {
    expect(complete("migrate", "report", "plan.yaml", "--format", "")).toEqual(["md", "html"]);
    expect(complete("migrate", "apply", "p.yaml", "--output", "j")).toEqual(["json"]);
    expect(complete("migrate", "completion", "")).toEqual(["bash", "zsh"]);
  });

  it("leaves plan files and free values to bash's file completion", () => {
    expect(complete("migrate", "validate", "")).toEqual([]);
    expect(complete("migrate", "report", "p.yaml", "--out", "")).toEqual([]);
    expect(script).toContain("complete -o default -F _migrate_completion migrate");
  });
});

describe("zsh completion", () => {
  const zsh = zshCompletion(spec);
  it("describes every command and uses _arguments with the flag choices", () => {
    expect(zsh.startsWith("#compdef migrate\n")).toBe(true);
    for (const command of spec.commands) expect(zsh).toContain(`    ${command.name})\n      _arguments -s`);
    expect(zsh).toContain(
      "'(-y --yes)'{-y,--yes}'[do not ask for confirmation (required when not on a terminal)]'",
    );
    expect(zsh).toContain("--format'[md or html]:format:(md html)'");
    expect(zsh).toContain("'1:shell:(bash zsh)'");
  });
});
