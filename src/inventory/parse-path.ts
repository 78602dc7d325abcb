/** Pure parser for one path section: `missing`, or `FILES BYTES`. */
import type { PathFacts } from "../plan/inventory-facts.ts";

export function parsePathSection(text: string): PathFacts | "missing" | undefined {
  const trimmed = text.trim();
  if (trimmed === "missing") return "missing";
  const match = /^(\d+)\s+(\d+)$/.exec(trimmed);
  if (!match) return undefined;
  return { files: Number(match[1]), bytes: Number(match[2]) };
}
