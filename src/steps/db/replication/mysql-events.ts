/**
 * Scheduled events of the database on the replica. Left running there they would write on
 * their own while replication writes the same rows: each is created DISABLE ON SLAVE (MariaDB's
 * status for an event that belongs to a replica, the same one replicated CREATE EVENTs get) and
 * given its source's status at cutover.
 */
import type { Database } from "../../../plan/schema.ts";
import type { Remote } from "../../../remote/types.ts";
import { sqlExec, sqlIdent, sqlRecords, sqlRows, sqlString } from "./mysql-client.ts";

/**
 * A delimiter no event body holds, so a BEGIN ... END body with semicolons stays one statement
 * (the mysql client takes at most 15 characters).
 */
const DELIMITER = "//migrate//";
/** The status clause SHOW CREATE EVENT prints right after ON COMPLETION [NOT] PRESERVE. */
const STATUS = /(ON COMPLETION (?:NOT )?PRESERVE )(DISABLE ON SLAVE|ENABLE|DISABLE)\b/;

async function eventNames(
  remote: Remote,
  db: Database,
  signal: AbortSignal,
  enabledOnly: boolean,
): Promise<string[]> {
  const rows = await sqlRows(
    remote,
    db,
    `SELECT event_name FROM information_schema.events WHERE event_schema = ${sqlString(db.name)}${enabledOnly ? " AND status = 'ENABLED'" : ""} ORDER BY 1;`,
    { signal, what: `listing the events of ${db.name}` },
  );
  return rows.map(([name = ""]) => name);
}

/** Creates every event of the source on the target, disabled, replacing any of the same name. */
export async function copyEventsDisabled(
  source: Remote,
  target: Remote,
  db: Database,
  signal: AbortSignal,
): Promise<number> {
  const names = await eventNames(source, db, signal, false);
  const statements: string[] = [];
  for (const name of names) {
    const [shown] = await sqlRecords(
      source,
      db,
      `SHOW CREATE EVENT ${sqlIdent(db.name)}.${sqlIdent(name)};`,
      {
        signal,
        what: `reading event ${name} of ${db.name}`,
      },
    );
    const create = shown?.["Create Event"] ?? "";
    statements.push(
      `SET SESSION sql_mode = ${sqlString(shown?.sql_mode ?? "")}${DELIMITER}`,
      `SET SESSION time_zone = ${sqlString(shown?.time_zone ?? "SYSTEM")}${DELIMITER}`,
      `DROP EVENT IF EXISTS ${sqlIdent(name)}${DELIMITER}`,
      `${create.replace(STATUS, "$1DISABLE ON SLAVE")}${DELIMITER}`,
    );
  }
  if (statements.length > 0) {
    await sqlExec(target, db, `DELIMITER ${DELIMITER}\n${statements.join("\n")}\n`, {
      signal,
      inDatabase: true,
      what: `creating the events of ${db.name} on the target, disabled`,
    });
  }
  return names.length;
}

/** At cutover: each event takes its source's status, enabled or disabled, on the target. */
export async function enableEvents(
  source: Remote,
  target: Remote,
  db: Database,
  signal: AbortSignal,
): Promise<void> {
  const [enabled, present] = await Promise.all([
    eventNames(source, db, signal, true),
    eventNames(target, db, signal, false),
  ]);
  const statements = present.map(
    (name) =>
      `ALTER EVENT ${sqlIdent(db.name)}.${sqlIdent(name)} ${enabled.includes(name) ? "ENABLE" : "DISABLE"};`,
  );
  if (statements.length === 0) return;
  await sqlExec(target, db, statements.join("\n"), {
    signal,
    what: `enabling the events of ${db.name} on the target`,
  });
}
