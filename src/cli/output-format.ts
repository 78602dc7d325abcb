/**
 * One `--output <format>` on every command that prints something a tool may read, with `--json`
 * kept as its short form where it existed first (validate, plan, inventory, status).
 */
import { Option } from "commander";
import { UserError } from "../errors.ts";

export const OUTPUT_FORMATS = ["auto", "plain", "json", "github"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const MEANING: Record<OutputFormat, string> = {
  auto: "auto (a terminal view, plain text otherwise)",
  plain: "plain (text)",
  json: "json (machine-readable)",
  github: "github (GitHub Actions annotations)",
};

/** The option for a command that supports `formats`; no commander default, so --json can be told apart. */
export function outputOption(formats: readonly OutputFormat[]): Option {
  return new Option(
    "--output <format>",
    `${formats.map((f) => MEANING[f]).join(", ")} (default: auto)`,
  ).choices(formats);
}

export const jsonOption = () => new Option("--json", "short for --output json");

/** The format asked for; `--json` with a different `--output` is a usage error, not a silent pick. */
export function outputFormat(options: { json?: boolean; output?: OutputFormat }): OutputFormat {
  if (options.json && options.output !== undefined && options.output !== "json") {
    throw new UserError("usage", `--json and --output ${options.output} ask for different output formats`, {
      hint: "--json is short for --output json; pass only one of them",
    });
  }
  return options.json ? "json" : (options.output ?? "auto");
}
