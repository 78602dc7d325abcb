/**
 * Which generated regions live in which file under docs/. `npm run docs` rewrites them; a unit
 * test fails while a committed file differs from what the generators produce.
 */
import { commandNames, commandReference, programReference } from "./cli-reference.ts";
import { exitCodeTable } from "./exit-codes.ts";
import { planFormatTables } from "./plan-format.ts";
import type { Generators } from "./regions.ts";

export function docGenerators(): Record<string, Generators> {
  const cli: Record<string, () => string> = { "cli-commands": programReference };
  for (const name of commandNames()) cli[`cli-${name}`] = () => commandReference(name);
  return {
    "docs/plan-format.md": { "plan-fields": planFormatTables },
    "docs/cli.md": cli,
    "docs/operations.md": { "exit-codes": exitCodeTable },
  };
}
