/** `migrate completion bash|zsh`: print a completion script generated from the CLI definition. */
import { ExitCode } from "../../exit-codes.ts";
import { bashCompletion } from "../../render/completion/bash.ts";
import { cliSpec } from "../../render/completion/spec.ts";
import { zshCompletion } from "../../render/completion/zsh.ts";
import { buildProgram } from "../main.ts";

export async function run(shell: "bash" | "zsh"): Promise<number> {
  const spec = cliSpec(buildProgram());
  process.stdout.write(shell === "zsh" ? zshCompletion(spec) : bashCompletion(spec));
  return ExitCode.ok;
}
