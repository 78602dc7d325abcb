/**
 * A refusal before the target's database is dropped and seeded: it may already be the live
 * subscriber of another journal's migration of the same database (another state directory).
 */
import { RemoteError } from "../../../errors.ts";
import { literal, psql } from "./postgres-sql.ts";
import type { ReplicationContext } from "./types.ts";

/** The target's database already subscribes under another name: another journal's migration. */
export async function refuseForeignSubscriber(ctx: ReplicationContext, subscription: string): Promise<void> {
  const others = await psql(
    ctx.target,
    ctx.db,
    `select s.subname from pg_subscription s join pg_database d on d.oid = s.subdbid
where d.datname = ${literal(ctx.db.name)} and s.subname <> ${literal(subscription)};`,
    ctx.signal,
    { database: "postgres" },
  );
  if (others.length === 0) return;
  throw new RemoteError(
    "remote",
    `database ${ctx.db.name} on ${ctx.target.host} is a live subscriber of another migration (subscription ${others.join(", ")}); seeding it again would replace that migration's copy`,
    { host: ctx.target.host, command: "create subscription", exitCode: null },
    {
      retryable: false,
      hint: "use the state directory of the migration that started it, or end that one first (`migrate rollback` or `migrate finalize` with its state directory)",
    },
  );
}
