import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { UserError } from "../../../../src/errors.ts";
import type { Database } from "../../../../src/plan/schema.ts";
import { raw, sh } from "../../../../src/remote/shell.ts";
import { databasePassword, withDatabasePassword } from "../../../../src/steps/db/password.ts";

const pg: Database = { engine: "postgresql", name: "taxdb", passwordEnv: "TAX_DB_PASSWORD" };
const maria: Database = { engine: "mariadb", name: "approval", passwordEnv: "APPROVAL_PW" };

/** Runs the command text the way sshd does (the login shell's -c) with the given stdin. */
function onHost(command: { command: { text: string }; stdin: string | undefined }) {
  const result = spawnSync("sh", ["-c", command.command.text], {
    input: command.stdin ?? "",
    encoding: "utf8",
  });
  return { code: result.status, stdout: result.stdout };
}

describe("database passwords travel on stdin", () => {
  const hostile = `p'a"s s$(touch /tmp/pwned)\`x\`;\\ 密码`;

  it("sets the client's variable on the host exactly, with the secret in no command line", () => {
    const env = { TAX_DB_PASSWORD: hostile, APPROVAL_PW: hostile };
    for (const [db, variable] of [
      [pg, "PGPASSWORD"],
      [maria, "MYSQL_PWD"],
    ] as const) {
      const wrapped = withDatabasePassword(db, sh`${raw(`printf %s "$${variable}"`)}`, "", env);
      expect(wrapped.command.text).not.toContain("pwned");
      expect(onHost(wrapped)).toEqual({ code: 0, stdout: hostile });
    }
  });

  it("hands the rest of stdin to the command untouched (SQL for psql -f -)", () => {
    const sql = "select 1;\nselect 'two';\n";
    const wrapped = withDatabasePassword(pg, sh`cat`, sql, { TAX_DB_PASSWORD: "s3cret" });
    expect(onHost(wrapped)).toEqual({ code: 0, stdout: sql });
  });

  it("leaves commands alone when the plan names no password", () => {
    const plain = withDatabasePassword({ engine: "postgresql", name: "d" }, sh`true`, "", {});
    expect(plain).toEqual({ command: sh`true`, stdin: undefined });
  });

  it("refuses, before anything runs, a password variable that is unset, empty or multi-line", () => {
    for (const env of [{}, { TAX_DB_PASSWORD: "" }, { TAX_DB_PASSWORD: "a\nb" }]) {
      const error = (() => {
        try {
          databasePassword(pg, env);
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).kind).toBe("auth");
      expect((error as UserError).message).toContain("TAX_DB_PASSWORD");
    }
    expect(databasePassword(pg, { TAX_DB_PASSWORD: "ok" })).toBe("ok");
  });
});
