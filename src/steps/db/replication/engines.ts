/** The replication engine of each database engine, where this build has one. */
import type { Database } from "../../../plan/schema.ts";
import { postgresReplication } from "./postgres.ts";
import type { ReplicationEngine } from "./types.ts";

const ENGINES: Partial<Record<Database["engine"], ReplicationEngine>> = {
  postgresql: postgresReplication,
};

export function replicationEngineFor(engine: Database["engine"]): ReplicationEngine | undefined {
  return ENGINES[engine];
}
