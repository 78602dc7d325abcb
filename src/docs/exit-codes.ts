/**
 * The one exit-code table (docs/operations.md), generated from EXIT_CODES in src/exit-codes.ts,
 * so a code is documented exactly where it is defined.
 */
import { EXIT_CODES } from "../exit-codes.ts";
import { cell } from "./plan-format.ts";

export function exitCodeTable(): string {
  const rows = Object.values(EXIT_CODES)
    .sort((a, b) => a.code - b.code)
    .map((entry) => `| ${entry.code} | ${cell(entry.commands)} | ${cell(entry.description)} |`);
  return ["| code | commands | meaning |", "| --- | --- | --- |", ...rows].join("\n");
}
