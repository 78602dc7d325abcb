/** `migrate schema`: the plan's JSON Schema on stdout, for editors and CI. */
import { ExitCode } from "../../exit-codes.ts";
import { planJsonSchemaText } from "../../plan/json-schema.ts";

export async function run(): Promise<number> {
  process.stdout.write(planJsonSchemaText());
  return ExitCode.ok;
}
