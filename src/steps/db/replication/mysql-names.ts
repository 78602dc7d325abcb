/**
 * What a move creates on the two MariaDB servers, named from the database alone: a resumed or
 * crashed run, and the fleet's reset, find exactly these again without any other record.
 */
import { createHash } from "node:crypto";
import type { Database } from "../../../plan/schema.ts";

/** MySQL limits user names to 32 characters; MariaDB's connection names to 64. */
const MAX_USER = 32;

function plain(name: string): string {
  const cleaned = name.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  return cleaned === name
    ? name
    : `${cleaned}_${createHash("sha256").update(name).digest("hex").slice(0, 6)}`;
}

/** The replica's named connection on the target (multi-source), so nothing else there is touched. */
export function connectionName(db: Database): string {
  return `migrate_${plain(db.name)}`.slice(0, 64);
}

/** The replication account on the source, created for the move and dropped after it. */
export function replicationUser(db: Database): string {
  const name = `migrate_repl_${plain(db.name)}`;
  if (name.length <= MAX_USER) return name;
  return `migrate_repl_${createHash("sha256")
    .update(db.name)
    .digest("hex")
    .slice(0, MAX_USER - 13)}`;
}
