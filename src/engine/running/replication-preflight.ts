/**
 * Apply's replication preflight, before anything changes: every database whose plan asks for
 * `mode: replicate` explicitly is checked on its source and target now, and a blocking finding
 * refuses the run (exit code `replication`) instead of letting it fall back to dump. Databases
 * on the default mode are checked by their snapshot, which falls back to dump with the reason.
 */
import { UserError } from "../../errors.ts";
import type { Plan } from "../../plan/schema.ts";
import type { Remote } from "../../remote/types.ts";
import { replicationEngineFor } from "../../steps/db/replication/engines.ts";
import { replicationRefusal } from "../../steps/replication-mode.ts";

export async function checkReplication(
  workloads: readonly Plan["workloads"][number][],
  remote: (host: string) => Remote,
  signal: AbortSignal,
): Promise<void> {
  const refusals: UserError[] = [];
  for (const workload of workloads) {
    for (const db of workload.databases) {
      if (db.mode !== "replicate") continue;
      const engine = replicationEngineFor(db.engine);
      if (!engine) {
        refusals.push(
          replicationRefusal(db, [
            { message: `this build has no native replication for ${db.engine}`, hint: "set mode: dump" },
          ]),
        );
        continue;
      }
      const findings = await engine.preflight(remote(workload.source), remote(workload.target), db, signal);
      const blocks = findings.filter((finding) => finding.severity === "block");
      if (blocks.length > 0) refusals.push(replicationRefusal(db, blocks));
    }
  }
  if (refusals.length === 0) return;
  const message = ["replication preflight: nothing was changed", ...refusals.map((r) => r.message)].join(
    "\n",
  );
  throw new UserError("not-ready", message, {
    hint: [...new Set(refusals.map((r) => r.hint).filter((hint) => hint !== undefined))].join("; "),
  });
}
