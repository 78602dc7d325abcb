/**
 * `npx tsx src/engine/planning/write-plan-output-schema.ts`: write the step inputs' JSON Schemas, generated
 * from their zod schemas (src/steps/inputs.ts), into schema/plan-output.schema.json as
 * `$defs.input-<step>`, and a planned database's as `$defs.database`; the rest of that file is written by hand. A unit test keeps them equal.
 */
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { STEP_INPUTS } from "../../steps/inputs.ts";
import { PlannedDatabase } from "./plan-databases.ts";

/** One step input's JSON Schema as the committed file holds it. */
export function stepInputJsonSchema(name: keyof typeof STEP_INPUTS): Record<string, unknown> {
  return jsonSchemaOf(STEP_INPUTS[name]);
}

/** A planned database's JSON Schema (`$defs.database`): mode, reason, preflight, catch-up. */
export function plannedDatabaseJsonSchema(): Record<string, unknown> {
  return jsonSchemaOf(PlannedDatabase);
}

function jsonSchemaOf(type: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(type, {
    target: "draft-2020-12",
    io: "output",
  }) as Record<string, unknown>;
  return schema;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = join(dirname(fileURLToPath(import.meta.url)), "../../../schema/plan-output.schema.json");
  const schema = JSON.parse(await readFile(file, "utf8")) as { $defs: Record<string, unknown> };
  for (const name of Object.keys(STEP_INPUTS) as (keyof typeof STEP_INPUTS)[])
    schema.$defs[`input-${name}`] = stepInputJsonSchema(name);
  schema.$defs.database = plannedDatabaseJsonSchema();
  await writeFile(file, `${JSON.stringify(schema, null, 2)}\n`);
  console.log("wrote schema/plan-output.schema.json");
}
