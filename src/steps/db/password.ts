/**
 * A database's password, named in the plan by `passwordEnv` and read from the orchestrator's
 * environment, travels to the host on the command's stdin: never in a command line (which every
 * user of the host can read in ps), never in a file, never in a log. On the host a small wrapper
 * reads the first stdin line into the client's variable (PGPASSWORD, MYSQL_PWD) and runs the
 * command with the rest of stdin. Peer authentication ignores it; password authentication uses it.
 */
import { UserError } from "../../errors.ts";
import type { Database } from "../../plan/schema.ts";
import { type ShellCommand, sh } from "../../remote/shell.ts";

const VARIABLE: Record<Database["engine"], string> = {
  postgresql: "PGPASSWORD",
  mysql: "MYSQL_PWD",
  mariadb: "MYSQL_PWD",
};

/** The password for `db`, or undefined when the plan names none; a named but unusable variable is a user error. */
export function databasePassword(db: Database, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (db.passwordEnv === undefined) return undefined;
  const value = env[db.passwordEnv];
  if (value === undefined || value === "") {
    throw new UserError("auth", `database ${db.name} names passwordEnv ${db.passwordEnv}, which is not set`, {
      hint: `export ${db.passwordEnv}=<password> in the shell that runs migrate; it reaches the host on stdin and is never written anywhere`,
    });
  }
  if (/[\n\r\0]/.test(value)) {
    throw new UserError(
      "auth",
      `the password in ${db.passwordEnv} (database ${db.name}) contains a line break`,
      {
        hint: "a password must be one line",
      },
    );
  }
  return value;
}

// `read` takes the first line byte by byte, so the command still gets the rest of stdin.
const WRAPPER =
  'IFS= read -r migrate_secret || exit 71; export "$1=$migrate_secret"; unset migrate_secret; eval "$2"';

/** `command` as the host should run it, with the stdin to send (the password line first, when there is one). */
export function withDatabasePassword(
  db: Database,
  command: ShellCommand,
  stdin: string = "",
  env: NodeJS.ProcessEnv = process.env,
): { command: ShellCommand; stdin: string | undefined } {
  const password = databasePassword(db, env);
  if (password === undefined) return { command, stdin: stdin === "" ? undefined : stdin };
  return {
    command: sh`sh -c ${WRAPPER} with-password ${VARIABLE[db.engine]} ${command.text}`,
    stdin: `${password}\n${stdin}`,
  };
}
