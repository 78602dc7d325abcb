/**
 * The plan's JSON Schema, generated from the zod schema (the single source of truth). Editors use
 * it through the `# yaml-language-server: $schema=...` modeline; schema/plan.schema.json is the
 * committed copy, kept equal to this by a test.
 */
import { z } from "zod";
import { Plan } from "./schema.ts";

export const PLAN_SCHEMA_FILE = "schema/plan.schema.json";

export function planJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(Plan, { io: "input", target: "draft-2020-12" }) as Record<string, unknown>;
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
