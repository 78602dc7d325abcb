/**
 * What shell completion needs to know about the CLI, read from the commander program itself
 * (buildProgram), so the scripts never drift from the real commands, options and choices.
 */
import type { Command } from "commander";

export interface OptionSpec {
  /** Every spelling, e.g. ["-y", "--yes"]. */
  flags: string[];
  description: string;
  takesValue: boolean;
  choices?: string[];
}

export interface CommandSpec {
  name: string;
  description: string;
  options: OptionSpec[];
  arguments: { name: string; choices?: string[]; variadic: boolean }[];
}

export interface CliSpec {
  name: string;
  globalOptions: OptionSpec[];
  commands: CommandSpec[];
}

const HELP: OptionSpec = { flags: ["-h", "--help"], description: "display help", takesValue: false };

function optionsOf(command: Command): OptionSpec[] {
  const options = command.options.map((option) => ({
    flags: [option.short, option.long].filter((flag): flag is string => typeof flag === "string"),
    description: option.description,
    takesValue: option.required || option.optional,
    ...(option.argChoices ? { choices: [...option.argChoices] } : {}),
  }));
  return [...options, HELP];
}

export function cliSpec(program: Command): CliSpec {
  return {
    name: program.name(),
    globalOptions: optionsOf(program),
    commands: program.commands.map((command) => ({
      name: command.name(),
      description: command.description(),
      options: optionsOf(command),
      arguments: command.registeredArguments.map((argument) => ({
        name: argument.name(),
        variadic: argument.variadic,
        ...(argument.argChoices ? { choices: [...argument.argChoices] } : {}),
      })),
    })),
  };
}
