/**
 * Load the plan for inventory. The plan's architecture rule assumes x86_64 sources until an
 * inventory is given, and its hint says to run `migrate inventory` — so that one rule must not
 * stop inventory itself; inventory then checks the architecture with the real facts. Every
 * other error stops inventory like any command.
 */
import { parseDocument } from "yaml";
import { errorsOf } from "../plan/diagnostics.ts";
import { type LoadedPlan, loadPlan, loadPlanOrThrow } from "../plan/load.ts";
import { Plan } from "../plan/schema.ts";

/** Plan rules whose verdict depends on facts inventory is about to collect. */
const DEFERRED_TO_INVENTORY = new Set(["arch"]);

export async function loadPlanForInventory(file: string): Promise<LoadedPlan> {
  const result = await loadPlan(file);
  const errors = errorsOf(result.diagnostics);
  if (errors.length === 0 || !errors.every((d) => DEFERRED_TO_INVENTORY.has(d.code))) {
    return await loadPlanOrThrow(file);
  }
  // Only deferred rules failed, so the text parsed and matched the schema.
  const raw = parseDocument(result.text, { merge: true }).toJS({ maxAliasCount: 1000 });
  return {
    file,
    text: result.text,
    plan: Plan.parse(raw),
    hash: result.hash,
    warnings: result.diagnostics.filter((d) => d.severity === "warning"),
  };
}
