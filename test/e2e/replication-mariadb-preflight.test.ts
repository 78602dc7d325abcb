/**
 * Issue 12, MariaDB preflight on real servers: each finding comes from a real setting or table
 * (SET GLOBAL where MariaDB allows it at run time; a server without log_bin for the binlog
 * itself), names the database and tables, and changes nothing.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import type { SshPool } from "../../src/remote/pool.ts";
import { mysqlReplication } from "../../src/steps/db/replication/mysql.ts";
import { leftovers, licensingDb, openPool, query, SOURCE, TARGET } from "./support/mariadb-replication.ts";
import { resetFleet } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");
const signal = new AbortController().signal;

describe.skipIf(skipReason !== "")("MariaDB replication preflight", () => {
  let pool: SshPool;
  const preflight = (source = SOURCE, target = TARGET) =>
    mysqlReplication.preflight(pool.remote(source), pool.remote(target), licensingDb(), signal);

  beforeAll(async () => {
    await resetFleet();
    pool = await openPool();
  });
  afterEach(async () => {
    await query(SOURCE, "SET GLOBAL binlog_format = 'ROW'; SET GLOBAL binlog_row_image = 'FULL';");
    await query(SOURCE, "DROP TABLE IF EXISTS legacy_register, import_batch;", "licensing");
  });
  afterAll(async () => {
    await pool?.close();
    await resetFleet();
  });

  it("finds nothing on the fleet's licensing database, and changes nothing", async () => {
    const before = await query(TARGET, "SELECT @@server_id, @@read_only;");
    expect(await preflight()).toEqual([]);
    expect(await query(TARGET, "SELECT @@server_id, @@read_only;")).toEqual(before);
    expect(await leftovers()).toEqual({ connections: [], accounts: [] });
  });

  it("blocks a MyISAM table by name and warns of a table without a primary key", async () => {
    await query(
      SOURCE,
      "CREATE TABLE legacy_register (id INT PRIMARY KEY) ENGINE=MyISAM; CREATE TABLE import_batch (line TEXT) ENGINE=InnoDB;",
      "licensing",
    );
    const findings = await preflight();
    expect(findings.map((f) => [f.severity, f.code, f.tables])).toEqual([
      ["block", "non-innodb", ["legacy_register"]],
      ["warn", "no-primary-key", ["import_batch"]],
    ]);
    expect(findings[0]?.message).toMatch(/database licensing: legacy_register \(MyISAM\) is not InnoDB/);
    expect(findings[0]?.hint).toMatch(/ENGINE=InnoDB/);
    expect(findings[1]?.message).toMatch(/import_batch has no primary key/);
  });

  it("blocks statement-based binlogs and warns of a minimal row image", async () => {
    await query(SOURCE, "SET GLOBAL binlog_format = 'STATEMENT';");
    const statement = await preflight();
    expect(statement.map((f) => [f.severity, f.code])).toEqual([["block", "binlog-format"]]);
    expect(statement[0]?.message).toMatch(/logs in STATEMENT format/);
    await query(SOURCE, "SET GLOBAL binlog_format = 'ROW'; SET GLOBAL binlog_row_image = 'MINIMAL';");
    expect((await preflight()).map((f) => [f.severity, f.code])).toEqual([["warn", "binlog-row-image"]]);
  });

  it("blocks a source without a binary log (a server started without log_bin)", async () => {
    // tgt-3's server runs without log_bin: as the source of a move it has nothing to replicate.
    const findings = await preflight(TARGET, SOURCE);
    expect(findings.map((f) => [f.severity, f.code])).toEqual([
      ["block", "log-bin"],
      ["block", "binlog-format"],
    ]);
    expect(findings[0]?.hint).toMatch(/log_bin = mysql-bin .*restart/);
  });

  it("blocks a target with the source's server_id", async () => {
    const [[own = ""] = []] = await query(TARGET, "SELECT @@server_id;");
    const [[sourceId = ""] = []] = await query(SOURCE, "SELECT @@server_id;");
    await query(TARGET, `SET GLOBAL server_id = ${Number(sourceId)};`);
    try {
      const findings = await preflight();
      expect(findings.map((f) => [f.severity, f.code])).toEqual([["block", "server-id"]]);
      expect(findings[0]?.message).toContain(
        `server_id is ${sourceId} on the source and ${sourceId} on the target`,
      );
    } finally {
      await query(TARGET, `SET GLOBAL server_id = ${Number(own)};`);
    }
  });
});
