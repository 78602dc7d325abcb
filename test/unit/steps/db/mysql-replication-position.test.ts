import { describe, expect, it } from "vitest";
import { sqlIdent, sqlString } from "../../../../src/steps/db/replication/mysql-client.ts";
import { connectionName, replicationUser } from "../../../../src/steps/db/replication/mysql-names.ts";
import {
  bytesBetween,
  comparePositions,
  formatPosition,
  parsePosition,
} from "../../../../src/steps/db/replication/mysql-position.ts";

const logs = [
  { name: "mysql-bin.000009", size: 1_000 },
  { name: "mysql-bin.000010", size: 5_000 },
  { name: "mysql-bin.000011", size: 7_000 },
  { name: "mysql-bin.000012", size: 300 },
];

describe("binlog positions", () => {
  it("round-trips file:pos, a file name with a colon included", () => {
    expect(parsePosition("mysql-bin.000010:4711")).toEqual({ file: "mysql-bin.000010", pos: 4711 });
    expect(formatPosition(parsePosition("c:/bin.000002:4"))).toBe("c:/bin.000002:4");
    expect(() => parsePosition("0/16B3748")).toThrow(/not a binlog position/);
  });

  it("orders by file number first (000010 after 000009), then by offset", () => {
    const at = (text: string) => parsePosition(text);
    expect(comparePositions(at("mysql-bin.000010:4"), at("mysql-bin.000009:900"))).toBeGreaterThan(0);
    expect(comparePositions(at("mysql-bin.000010:4"), at("mysql-bin.000010:40"))).toBeLessThan(0);
    expect(comparePositions(at("mysql-bin.000010:40"), at("mysql-bin.000010:40"))).toBe(0);
  });

  it("counts the bytes still to apply within one file and across rotations", () => {
    const at = (text: string) => parsePosition(text);
    expect(bytesBetween(at("mysql-bin.000010:1000"), at("mysql-bin.000010:4500"), logs)).toBe(3_500);
    // The rest of 000010, all of 000011 and the start of 000012.
    expect(bytesBetween(at("mysql-bin.000010:4000"), at("mysql-bin.000012:200"), logs)).toBe(
      1_000 + 7_000 + 200,
    );
    expect(bytesBetween(at("mysql-bin.000012:200"), at("mysql-bin.000012:200"), logs)).toBe(0);
    expect(bytesBetween(at("mysql-bin.000012:300"), at("mysql-bin.000011:10"), logs)).toBe(0);
  });
});

describe("names and literals of a move", () => {
  it("derives the connection and account from the database name alone, within MySQL's 32 characters", () => {
    const db = (name: string) => ({ engine: "mariadb" as const, name });
    expect(connectionName(db("licensing"))).toBe("migrate_licensing");
    expect(replicationUser(db("licensing"))).toBe("migrate_repl_licensing");
    expect(replicationUser(db("a_very_long_database_name_for_licences"))).toHaveLength(32);
    expect(connectionName(db("Lic-2026"))).toMatch(/^migrate_lic_2026_[0-9a-f]{6}$/);
    expect(connectionName(db("Lic-2026"))).not.toBe(connectionName(db("lic_2026")));
  });

  it("quotes strings and identifiers so quotes and backslashes stay data", () => {
    expect(sqlString("it's a \\ secret")).toBe("'it''s a \\\\ secret'");
    expect(sqlIdent("audit`log")).toBe("`audit``log`");
  });
});
