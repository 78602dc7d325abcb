/**
 * The snapshot's choice for each database: replicate when the plan (or the default) says so and
 * the engine's preflight finds nothing blocking; otherwise dump, with the findings as the reason.
 * A replicate the plan asked for explicitly is refused instead (apply's preflight refuses it
 * before anything changes; this is the same rule for a run that got here another way).
 */
import { UserError } from "../errors.ts";
import type { DatabaseSnapshot } from "./contracts.ts";
import type { DatabaseInput, SnapshotInput } from "./inputs.ts";
import { engineOf } from "./replicate.ts";
import type { StepContext } from "./types.ts";

type Choice = Pick<DatabaseSnapshot, "mode" | "modeReason" | "findings">;

export function replicationRefusal(
  db: { name: string },
  blocks: readonly { message: string; hint: string }[],
): UserError {
  return new UserError(
    "not-ready",
    `database ${db.name} asks for mode: replicate, which its preflight refuses:\n${blocks.map((b) => `  ${b.message}`).join("\n")}`,
    { hint: blocks.map((b) => b.hint).join("; ") || "set mode: dump for this database" },
  );
}

export async function chooseMode(
  input: SnapshotInput,
  context: StepContext,
  db: DatabaseInput,
): Promise<Choice> {
  if (db.mode === "dump") return { mode: "dump", modeReason: db.modeReason };
  const source = await context.remote(input.source.name);
  const target = await context.remote(input.target.name);
  const findings = await engineOf(db).preflight(source, target, db, context.signal);
  const blocks = findings.filter((finding) => finding.severity === "block");
  for (const finding of findings)
    context.log.warn(finding.message, { code: finding.code, hint: finding.hint });
  if (blocks.length === 0) return { mode: "replicate", modeReason: db.modeReason, findings };
  if (db.modeAsked) throw replicationRefusal(db, blocks);
  const reason = `replication preflight blocks (${blocks.map((b) => b.code).join(", ")}): moved by dump`;
  context.log.warn(`database ${db.name}: ${reason}`);
  return { mode: "dump", modeReason: reason, findings };
}
