/** The replication engine of each database engine, where this build has one. */
import type { Database } from "../../../plan/schema.ts";
import { mysqlReplication } from "./mysql.ts";
import { postgresReplication } from "./postgres.ts";
import type { ReplicationEngine } from "./types.ts";

const ENGINES: Partial<Record<Database["engine"], ReplicationEngine>> = {
  postgresql: postgresReplication,
  // Binlog replication is MariaDB's; the preflight refuses Oracle MySQL by its version string.
  mysql: mysqlReplication,
  mariadb: mysqlReplication,
};

/**
 * Engines whose databases replicate unless the plan says otherwise. MariaDB replicates only when
 * asked (`mode: replicate`): its freeze sets read_only server-wide, which stops every other
 * database on that server too, so an operator must choose it knowingly.
 */
const REPLICATE_BY_DEFAULT: ReadonlySet<Database["engine"]> = new Set(["postgresql"]);

export function replicatesByDefault(engine: Database["engine"]): boolean {
  return REPLICATE_BY_DEFAULT.has(engine) && ENGINES[engine] !== undefined;
}

/** The port the engine's server listens on when the plan names none. */
export function defaultPort(engine: Database["engine"]): number {
  return engine === "postgresql" ? 5432 : 3306;
}

export function replicationEngineFor(engine: Database["engine"]): ReplicationEngine | undefined {
  return ENGINES[engine];
}
