/**
 * One connection pool to the shared state, its schema brought up to date on open. Connection
 * errors become one user error naming the URL without its password.
 */
import pg from "pg";
import { UserError } from "../../errors.ts";
import { migrateSchema } from "./schema.ts";
import type { StateUrl } from "./state-url.ts";

export interface StateDb {
  pool: pg.Pool;
  url: StateUrl;
  close(): Promise<void>;
}

export async function openStateDb(url: StateUrl, applicationName = "migrate"): Promise<StateDb> {
  const pool = new pg.Pool({
    connectionString: url.connectionString,
    application_name: applicationName,
    max: 6,
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on("error", () => undefined);
  try {
    await migrateSchema(pool);
  } catch (error) {
    await pool.end().catch(() => undefined);
    if (error instanceof UserError) throw error;
    throw new UserError(
      "unreachable",
      `cannot use the state database ${url.display}: ${(error as Error).message}`,
      {
        hint: "check that PostgreSQL is running, the user exists and the password is in PGPASSWORD or ~/.pgpass",
      },
    );
  }
  return { pool, url, close: () => pool.end() };
}
