/**
 * The plan's JSON Schema, generated from the zod schema (the single source of truth). Editors use
 * it through the `# yaml-language-server: $schema=...` modeline; schema/plan.schema.json is the
 * committed copy, kept equal to this by a test.
 */
import { z } from "zod";
import { ABSOLUTE_PATH_PATTERN } from "./rules/paths.ts";
import { WINDOW_TIME } from "./rules/windows.ts";
import { Plan, Window, Workload } from "./schema.ts";

/** The schema instance every absolute-path field of the plan shares. */
const absolutePath = (Workload.shape.paths.unwrap() as z.ZodArray<z.ZodString>).element;

export const PLAN_SCHEMA_FILE = "schema/plan.schema.json";

/** The plan's JSON Schema (draft 2020-12) describing what a plan author may write. */
export function planJsonSchema(): Record<string, unknown> {
  // Rules that zod leaves to `migrate validate` (for its better messages) still get patterns
  // here, so editors flag relative paths and offset-less window times as you type.
  const generated = z.toJSONSchema(Plan, {
    io: "input",
    target: "draft-2020-12",
    override: ({ zodSchema, jsonSchema }) => {
      if (zodSchema === absolutePath) jsonSchema.pattern = ABSOLUTE_PATH_PATTERN;
      if (zodSchema === Window.shape.start || zodSchema === Window.shape.end)
        jsonSchema.pattern = WINDOW_TIME.source;
    },
  }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    title: "migrate plan (apiVersion migrate/v1)",
    description:
      "A migration plan for `migrate`: sources, target cloud tenants and workloads. Cross-references, dependency cycles, classification, zones, CPU architecture, paths and windows are checked by `migrate validate`.",
    ...rest,
  };
}

/** The committed file's exact text: two-space JSON and a final newline. */
export function planJsonSchemaText(): string {
  return `${JSON.stringify(planJsonSchema(), null, 2)}\n`;
}
