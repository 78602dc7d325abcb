/**
 * The cutover's freeze of a MariaDB source: `read_only` refuses the writes of every account
 * without SUPER / READ_ONLY ADMIN (an application's), survives a dropped connection or a crash
 * of the orchestrator (FLUSH TABLES WITH READ LOCK lasts only as long as its session), and keeps
 * the binlog streaming to the replica. The sessions using the database are ended, so none goes
 * on with a transaction it opened before. read_only is server-wide: other databases on the same
 * server are frozen with it (docs/replication-mysql.md).
 */
import { RemoteError } from "../../../errors.ts";
import { sqlExec, sqlRows, sqlString } from "./mysql-client.ts";
import type { ReplicationContext } from "./types.ts";

/** Client sessions on the database: not this one, not replication or the server's own threads. */
async function clientSessions(ctx: ReplicationContext): Promise<string[]> {
  const rows = await sqlRows(
    ctx.source,
    ctx.db,
    `SELECT id FROM information_schema.processlist WHERE db = ${sqlString(ctx.db.name)} AND id <> CONNECTION_ID()
       AND command NOT IN ('Binlog Dump', 'Daemon', 'Slave_IO', 'Slave_SQL', 'Slave_worker')
       AND user NOT IN ('system user', 'event_scheduler');`,
    { signal: ctx.signal, what: `listing the sessions on ${ctx.db.name}` },
  );
  return rows.map(([id = ""]) => id);
}

export async function freezeSource(ctx: ReplicationContext): Promise<void> {
  const what = `making ${ctx.db.name} read-only on ${ctx.source.host}`;
  await sqlExec(ctx.source, ctx.db, "SET GLOBAL read_only = ON;", { signal: ctx.signal, what });
  const sessions = await clientSessions(ctx);
  if (sessions.length === 0) return;
  // A session may end on its own between the list and its KILL, which then fails: --force goes
  // on, and the list taken again is what decides.
  const kills = sessions.map((id) => `KILL CONNECTION ${Number(id)};`).join("\n");
  await sqlExec(ctx.source, ctx.db, kills, { signal: ctx.signal, what, force: true }).catch(() => undefined);
  const left = (await clientSessions(ctx)).filter((id) => sessions.includes(id));
  if (left.length > 0) {
    throw new RemoteError(
      "remote",
      `${what}: sessions ${left.join(", ")} on ${ctx.db.name} could not be ended`,
      { host: ctx.source.host, command: "KILL CONNECTION", exitCode: null },
      { hint: "end them on the source (KILL CONNECTION id) and resume" },
    );
  }
}

export async function thawSource(ctx: ReplicationContext): Promise<void> {
  await sqlExec(ctx.source, ctx.db, "SET GLOBAL read_only = OFF;", {
    signal: ctx.signal,
    what: `making ${ctx.db.name} writable again on ${ctx.source.host}`,
  });
}
