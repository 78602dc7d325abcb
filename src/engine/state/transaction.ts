/** One transaction on one pooled client: committed when `body` resolves, rolled back when it throws. */
import type { PoolClient } from "pg";

export async function inTransaction<T>(
  pool: { connect(): Promise<PoolClient> },
  body: (client: PoolClient) => Promise<T>,
  begin = "BEGIN",
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
    const result = await body(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
