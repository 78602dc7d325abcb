/**
 * Where shared state lives: `--state postgres://…` or MIGRATE_STATE_URL. The password never
 * comes from the command line (it would sit in shell history and `ps`): it comes from
 * PGPASSWORD, PGPASSFILE/~/.pgpass (./pgpass.ts) or MIGRATE_STATE_PASSWORD_FILE.
 */
import { readFileSync } from "node:fs";
import { UserError } from "../../errors.ts";
import { pgpassPassword } from "./pgpass.ts";

export interface StateUrl {
  /** The URL without any password: safe to print and to journal. */
  display: string;
  connectionString: string;
  password?: string;
}

const SCHEMES = new Set(["postgres:", "postgresql:"]);

/**
 * The state URL the operator chose, or undefined for the file journal. A URL typed on the
 * command line with a password in it is refused before anything connects.
 */
export function resolveStateUrl(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): StateUrl | undefined {
  const raw = flag ?? env.MIGRATE_STATE_URL;
  if (!raw) return undefined;
  const source = flag ? "--state" : "MIGRATE_STATE_URL";
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UserError("usage", `${source} is not a URL`, {
      hint: "use postgres://user@host:5432/database (the password comes from PGPASSWORD or ~/.pgpass)",
    });
  }
  if (!SCHEMES.has(url.protocol)) {
    throw new UserError("usage", `${source} names ${url.protocol.replace(/:$/, "")}, not PostgreSQL`, {
      hint: "use postgres://user@host:5432/database",
    });
  }
  if (url.password && flag) {
    throw new UserError(
      "usage",
      `${source} carries a password; it would be visible in shell history and logs`,
      {
        hint: "remove it from the URL and set PGPASSWORD, a ~/.pgpass line (PGPASSFILE), or MIGRATE_STATE_PASSWORD_FILE",
      },
    );
  }
  const file = env.MIGRATE_STATE_PASSWORD_FILE;
  // PGPASSWORD and a password in MIGRATE_STATE_URL reach the driver as they are.
  const password = file
    ? readPasswordFile(file)
    : url.password || env.PGPASSWORD
      ? undefined
      : pgpassPassword(url, env);
  const shown = new URL(url);
  shown.password = "";
  // The driver lets a connection string's fields win over separate options, so the password
  // from a file goes into the (never shown) connection string itself.
  const connection = new URL(url);
  if (password !== undefined) connection.password = encodeURIComponent(password);
  return {
    display: shown.toString(),
    connectionString: connection.toString(),
    ...(password === undefined ? {} : { password }),
  };
}

function readPasswordFile(file: string): string {
  try {
    return readFileSync(file, "utf8").trim();
  } catch (error) {
    throw new UserError(
      "usage",
      `MIGRATE_STATE_PASSWORD_FILE ${file} cannot be read: ${(error as Error).message}`,
      {
        hint: "point it at a file this user can read that holds only the password",
      },
    );
  }
}
