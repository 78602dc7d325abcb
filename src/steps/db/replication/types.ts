/** Native replication of one database from the source host to the target host. */
import type { Database } from "../../../plan/schema.ts";
import type { Remote } from "../../../remote/types.ts";

export interface ReplicationFinding {
  /** `block` refuses replicate mode for this database (dump is chosen, reason shown). */
  severity: "block" | "warn";
  code: string; // e.g. "wal-level", "no-primary-key", "binlog-format"
  message: string; // one paragraph, names the database and tables
  hint: string; // the fix
  tables?: string[];
}

/** Where the target's database server reaches the source's: the local end of the SSH tunnel
 *  on the target host (the orchestrator holds the tunnel). */
export interface SourceEndpoint {
  host: string;
  port: number;
}

/** Serializable; journaled as the checkpoint so cleanup works after crash-and-resume. */
export interface ReplicationState {
  engine: "postgresql" | "mysql";
  /** Names created for this move (replication user, publication, slot, subscription,
   *  channel), so teardown drops exactly these. */
  objects: Record<string, string>;
  /** Seed position: LSN, or binlog file:pos / GTID set. */
  seededAt?: string;
}

export interface ReplicationLag {
  bytes: number;
  seconds: number | null;
}

export interface ReplicationContext {
  source: Remote;
  target: Remote;
  db: Database;
  endpoint: SourceEndpoint;
  /** A per-move secret for the replication user, never logged. */
  password: string;
  signal: AbortSignal;
  /** Bytes the tunnel carried so far (both directions), when one is held: seed progress. */
  tunnelBytes?: () => number;
}

export interface ReplicationEngine {
  /** Read-only checks on both sides; nothing changes. */
  preflight(source: Remote, target: Remote, db: Database, signal: AbortSignal): Promise<ReplicationFinding[]>;
  /** The names this move will create, from a per-move id, journaled before anything is created
   *  so a crash in the middle of start() still leaves teardown the names to drop. */
  initialState(id: string): ReplicationState;
  /** Create the replication user and source-side objects, seed the target (schema + data,
   *  consistent with the start position) and start applying changes. Idempotent on resume. */
  start(ctx: ReplicationContext, previous?: ReplicationState): Promise<ReplicationState>;
  lag(ctx: ReplicationContext, state: ReplicationState): Promise<ReplicationLag>;
  /** The cutover's freeze: the source database read-only for every new and current client
   *  session (sessions ended), while replication keeps streaming. Idempotent. */
  freeze(ctx: ReplicationContext): Promise<void>;
  /** Undo freeze (rollback puts the source back in service). Idempotent. */
  thaw(ctx: ReplicationContext): Promise<void>;
  /** The source's current position (called after the freeze made it read-only). */
  sourcePosition(ctx: ReplicationContext): Promise<string>;
  /** Resolves when the target has applied everything up to `position`; rejects at deadline. */
  waitApplied(
    ctx: ReplicationContext,
    state: ReplicationState,
    position: string,
    deadlineMs: number,
  ): Promise<void>;
  /** After catch-up, before the switch: sequences (setval) / enable events on the target. */
  finishCutover(ctx: ReplicationContext, state: ReplicationState): Promise<void>;
  /** The objects of `state` that exist now on either side, named (`slot …`, `user …`): what
   *  teardown would drop. Read-only. */
  present(ctx: ReplicationContext, state: ReplicationState): Promise<string[]>;
  /** Drop subscription/channel, slot, publication and replication user on both sides.
   *  Idempotent: safe when some or none of the objects exist. */
  teardown(ctx: ReplicationContext, state: ReplicationState): Promise<void>;
}
