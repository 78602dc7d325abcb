/**
 * What `status` says about a workload's replicated databases, from journaled facts only:
 * streaming (reconfigure started it; the objects named exist until the cutover tears them down)
 * or caught up (the cutover's lag at the freeze and how long the target took to apply it).
 */
import { formatBytes } from "../../plan/bytes.ts";
import type { StepOutputs } from "../../steps/contracts.ts";
import type { StepName } from "../../steps/names.ts";

export interface ReplicationStatus {
  database: string;
  state: "streaming" | "caught-up";
  /** Replication objects that exist while it streams (slot, publication, subscription, user). */
  objects: string[];
  lagBytes?: number;
  catchUpMs?: number;
}

export function replicationStatus(outputs: { [S in StepName]?: StepOutputs[S] }): ReplicationStatus[] {
  const started = outputs.reconfigure?.replication ?? {};
  return Object.entries(started).map(([database, state]) => {
    const final = outputs.cutover?.databases.find((db) => db.name === database && db.mode === "replicate");
    if (!final) return { database, state: "streaming", objects: Object.values(state.objects) };
    return {
      database,
      state: "caught-up",
      objects: [],
      ...(final.lagBytes !== undefined ? { lagBytes: final.lagBytes } : {}),
      ...(final.catchUpMs !== undefined ? { catchUpMs: final.catchUpMs } : {}),
    };
  });
}

export function formatReplication(status: ReplicationStatus): string {
  if (status.state === "streaming") {
    return `${status.database}: replicating to the target (until the cutover: ${status.objects.filter((name) => name.startsWith("migrate_")).join(", ")})`;
  }
  const lag = status.lagBytes === undefined ? "" : ` from ${formatBytes(status.lagBytes)} of lag`;
  const took = status.catchUpMs === undefined ? "" : ` in ${(status.catchUpMs / 1000).toFixed(1)} s`;
  return `${status.database}: replicated; the target caught up${took}${lag} after the freeze, replication torn down`;
}
