/**
 * The CLI reference (docs/cli.md) generated from the commander program itself: each command's
 * `--help` exactly as a user sees it (usage, arguments, options with choices and defaults, the
 * example), at a fixed width so the committed text does not depend on the terminal.
 */
import type { Command } from "commander";
import { buildProgram } from "../cli/main.ts";

const HELP_WIDTH = 100;

/** What `migrate <command> --help` prints, at HELP_WIDTH columns. */
export function helpText(command: Command): string {
  let text = "";
  command.configureHelp({ helpWidth: HELP_WIDTH });
  command.configureOutput({
    writeOut: (chunk) => {
      text += chunk;
    },
    writeErr: (chunk) => {
      text += chunk;
    },
  });
  command.outputHelp();
  return text.trimEnd();
}

/** The program's commands in the order `migrate --help` lists them. */
export function commandNames(): string[] {
  return buildProgram().commands.map((command) => command.name());
}

/** One command's reference block: heading and its help (which starts with the description). */
export function commandReference(name: string): string {
  const command = buildProgram().commands.find((c) => c.name() === name);
  if (!command) throw new Error(`no command ${name}`);
  return [`### migrate ${name}`, "", "```", helpText(command), "```"].join("\n");
}

/** `migrate --help`: the command list. */
export function programReference(): string {
  return ["```", helpText(buildProgram()), "```"].join("\n");
}
