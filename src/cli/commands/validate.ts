/** `migrate validate <plan...>`: every problem of every plan, located; exit 0 valid, 1 invalid. */
import { ExitCode } from "../../exit-codes.ts";
import { errorsOf } from "../../plan/diagnostics.ts";
import { readInventoryFacts } from "../../plan/inventory-facts.ts";
import { loadPlan } from "../../plan/load.ts";
import { validateGithub, validateJson, validateText } from "../diagnostics-output.ts";
import { type OutputFormat, outputFormat } from "../output-format.ts";

export interface ValidateOptions {
  json?: boolean;
  inventory?: string;
  output?: OutputFormat;
}

export async function run(files: string[], options: ValidateOptions = {}): Promise<number> {
  const format = outputFormat(options);
  const inventory = options.inventory ? await readInventoryFacts(options.inventory) : undefined;
  const results = await Promise.all(files.map((file) => loadPlan(file, inventory ? { inventory } : {})));
  const text =
    format === "json"
      ? validateJson(results)
      : format === "github"
        ? validateGithub(results)
        : validateText(results);
  process.stdout.write(text);
  return results.some((r) => errorsOf(r.diagnostics).length > 0) ? ExitCode.error : ExitCode.ok;
}
