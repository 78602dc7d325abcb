/**
 * The exact text the dns and MySQL/MariaDB steps hand to nsupdate and the remote shell. The
 * behaviour on real servers is tested on the fleet (test/e2e/dns-cutover.test.ts,
 * test/e2e/mariadb-database.test.ts); these pin what must never come back.
 */
import { describe, expect, it } from "vitest";
import { mysqlDumpCommand, mysqlRestoreCommand } from "../../../src/steps/db/mysql.ts";
import { nsupdateScript } from "../../../src/steps/traffic/dns.ts";

const dns = {
  strategy: "dns" as const,
  server: "10.9.0.53",
  zone: "city.gov.local",
  record: "licensing",
  ttl: 60,
};

describe("mysql commands", () => {
  it("leave the port to the option files unless the plan names one (MariaDB's -P means TCP)", () => {
    expect(mysqlDumpCommand({ engine: "mariadb", name: "licensing" }).text).toBe(
      "mysqldump --single-transaction --routines --triggers --events --order-by-primary --skip-dump-date licensing",
    );
    expect(mysqlDumpCommand({ engine: "mysql", name: "lic", port: 3307, user: "dba" }).text).toBe(
      "mysqldump -P 3307 -u dba --single-transaction --routines --triggers --events --order-by-primary --skip-dump-date lic",
    );
  });

  it("quote the dump file and create the database before restoring into it", () => {
    expect(mysqlRestoreCommand({ engine: "mariadb", name: "lic" }, "/var/tmp/migrate/a b.dump").text).toBe(
      "mysql -e 'CREATE DATABASE IF NOT EXISTS `lic`' && mysql lic < '/var/tmp/migrate/a b.dump'",
    );
  });
});

describe("nsupdate script", () => {
  it("replaces the record's A data in one update, qualifying a relative name with the zone", () => {
    expect(nsupdateScript(dns, "127.0.12.3")).toBe(
      [
        "server 10.9.0.53",
        "zone city.gov.local",
        "update delete licensing.city.gov.local A",
        "update add licensing.city.gov.local 60 A 127.0.12.3",
        "send",
        "",
      ].join("\n"),
    );
    expect(nsupdateScript({ ...dns, record: "www.example." }, "fd00::3")).toContain(
      "update add www.example. 60 AAAA fd00::3",
    );
  });

  it("refuses a name that would smuggle more nsupdate commands in", () => {
    expect(() =>
      nsupdateScript({ ...dns, record: "licensing\nupdate delete city.gov.local" }, "127.0.12.3"),
    ).toThrow(expect.objectContaining({ kind: "invalid-plan" }));
  });
});
