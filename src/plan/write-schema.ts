/** `npm run schema`: regenerate the committed schema/plan.schema.json from the zod schema. */
import { writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PLAN_SCHEMA_FILE, planJsonSchemaText } from "./json-schema.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
await writeFile(join(root, PLAN_SCHEMA_FILE), planJsonSchemaText());
console.log(`wrote ${PLAN_SCHEMA_FILE}`);
