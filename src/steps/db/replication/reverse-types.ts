/**
 * Reverse replication: a rollback after a replicated cutover carries the writes the target took
 * since the switch back to the source. Calls take a ReplicationContext with the roles swapped:
 * `ctx.source` publishes (the migration's target), `ctx.target` subscribes (its source); the
 * forward ReplicationEngine's freeze, sourcePosition, lag, waitApplied, finishCutover, present
 * and teardown serve the reverse direction with the same swapped context.
 */
import type { Database } from "../../../plan/schema.ts";
import { postgresReverse } from "./postgres-reverse.ts";
import type { ReplicationContext, ReplicationState } from "./types.ts";

export interface ReverseReplication {
  /** Why the publishing side cannot keep a reverse position (read-only); undefined when it can. */
  unavailable(ctx: ReplicationContext): Promise<string | undefined>;
  /** At the switch, before traffic reaches the target: the user, the publication and a slot at
   *  the current position on `ctx.source`. Idempotent. */
  reserve(ctx: ReplicationContext, state: ReplicationState): Promise<void>;
  /** Whether the reserved position still exists (nobody dropped it). Read-only. */
  reserved(ctx: ReplicationContext, state: ReplicationState): Promise<boolean>;
  /** Rollback: `ctx.target` follows the reserved position through the tunnel. Idempotent. */
  follow(ctx: ReplicationContext, state: ReplicationState): Promise<void>;
}

/**
 * Engines whose writes a rollback can carry back. MariaDB is not among them yet: a rollback
 * refuses to discard its target's writes unless told to (docs/replication.md).
 */
const REVERSE: Partial<Record<Database["engine"], ReverseReplication>> = {
  postgresql: postgresReverse,
};

export function reverseEngineFor(engine: Database["engine"]): ReverseReplication | undefined {
  return REVERSE[engine];
}
