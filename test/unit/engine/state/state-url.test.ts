import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveStateUrl } from "../../../../src/engine/state/state-url.ts";
import { UserError } from "../../../../src/errors.ts";

describe("the shared state URL", () => {
  it("is absent without --state or MIGRATE_STATE_URL: the file journal stays the default", () => {
    expect(resolveStateUrl(undefined, {})).toBeUndefined();
  });

  it("refuses a password typed on the command line, before anything connects", () => {
    const refuse = () => resolveStateUrl("postgres://migrate:s3cret@db.example/migrate_state", {});
    expect(refuse).toThrow(UserError);
    expect(refuse).toThrow(/--state carries a password/);
    try {
      refuse();
    } catch (error) {
      expect((error as UserError).kind).toBe("usage");
      expect((error as Error).message).not.toContain("s3cret");
    }
  });

  it("accepts a password in the environment's URL but never shows it", () => {
    const url = resolveStateUrl(undefined, {
      MIGRATE_STATE_URL: "postgres://migrate:s3cret@db.example/state",
    });
    expect(url?.connectionString).toContain("s3cret");
    expect(url?.display).toBe("postgres://migrate@db.example/state");
  });

  it("reads the password from MIGRATE_STATE_PASSWORD_FILE", () => {
    const file = join(mkdtempSync(join(tmpdir(), "state-url-")), "password");
    writeFileSync(file, "from-file\n");
    const url = resolveStateUrl("postgres://migrate@db.example/state", { MIGRATE_STATE_PASSWORD_FILE: file });
    expect(url?.password).toBe("from-file");
    expect(url?.display).not.toContain("from-file");
  });

  it("refuses what is not a PostgreSQL URL", () => {
    expect(() => resolveStateUrl("mysql://db.example/state", {})).toThrow(/not PostgreSQL/);
    expect(() => resolveStateUrl("db.example", {})).toThrow(/is not a URL/);
  });

  it("reads the password from PGPASSFILE as libpq does: first matching line, wildcards, escapes", () => {
    const file = join(mkdtempSync(join(tmpdir(), "state-url-")), "pgpass");
    writeFileSync(
      file,
      [
        "# comment",
        "other.example:5432:state:migrate:not-this-host",
        "db.example:5433:state:migrate:not-this-port",
        "db.example:*:state:migrate:pass\\:with\\\\colon",
        "*:*:*:*:fallback",
      ].join("\n"),
    );
    const url = resolveStateUrl("postgres://migrate@db.example/state", { PGPASSFILE: file });
    expect(url?.password).toBe("pass:with\\colon");
    expect(url?.display).toBe("postgres://migrate@db.example/state");
    expect(url?.connectionString).not.toBe(url?.display);
    expect(resolveStateUrl("postgres://someone@db.example/state", { PGPASSFILE: file })?.password).toBe(
      "fallback",
    );
    // PGPASSWORD goes to the driver as it is, ahead of the file.
    expect(
      resolveStateUrl("postgres://migrate@db.example/state", { PGPASSFILE: file, PGPASSWORD: "x" }),
    ).not.toHaveProperty("password");
  });
});
