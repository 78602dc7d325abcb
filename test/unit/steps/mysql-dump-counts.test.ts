/**
 * Row counts read from mysqldump's output as it passes (src/steps/db/mysql-dump-counts.ts), run
 * through the real awk (Debian's default mawk and the system's awk) and a real sh. The dump in
 * fixtures/mysqldump was recorded from the fleet's MariaDB 10.11: a table name with a backtick,
 * a space and parentheses; strings holding `),(`, quotes, backslashes, escaped line breaks and
 * raw non-UTF-8 bytes; a trigger and a procedure whose bodies INSERT; a view; a sequence; a
 * system-versioned table with a deleted row; an empty table. The whole dump on the fleet, under
 * a live writer, is tested in test/e2e/messy-cutover-db.test.ts.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sh } from "../../../src/remote/shell.ts";
import { COUNT_AWK, mysqlDumpWithCountsCommand } from "../../../src/steps/db/mysql-dump-counts.ts";
import { parseRowCounts } from "../../../src/steps/db/postgres.ts";

const recorded = readFileSync(join(import.meta.dirname, "../../../fixtures/mysqldump/mariadb-10.11.sql"));
let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function count(awk: string, dump: Buffer | string) {
  dir = mkdtempSync(join(tmpdir(), "dump-counts-"));
  const counts = join(dir, "counts");
  const run = spawnSync(awk, [COUNT_AWK], { input: dump, env: { MIGRATE_COUNTS: counts, LC_ALL: "C" } });
  return {
    status: run.status,
    stdout: run.stdout,
    stderr: run.stderr.toString(),
    counts: existsSync(counts) ? parseRowCounts(readFileSync(counts, "utf8")) : undefined,
  };
}

describe.each(["mawk", "awk"])("counting the rows of a mysqldump with %s", (awk) => {
  it("counts every row of every table the dump creates, and passes the dump through byte for byte", () => {
    const run = count(awk, recorded);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(Buffer.compare(run.stdout, recorded)).toBe(0);
    // Not the trigger's or the procedure's INSERTs, not the view, not the sequence.
    expect(run.counts).toEqual({ empty_one: 0, hist: 1, logs: 3, "odd `name` (x)": 4 });
  });

  it("reads MySQL's one-line extended inserts and column lists", () => {
    const dump = [
      "CREATE TABLE `t` (",
      "  `a` int, `g` int AS (a) VIRTUAL",
      ");",
      "INSERT INTO `t` VALUES (1,'x'),(2,'),(\\''),(3,NULL);",
      "INSERT INTO `t` (`a`, `b``c`) VALUES (4,_binary 'y'),(5,0x28);",
      "INSERT INTO `u` VALUES (1);",
      "",
    ].join("\n");
    expect(count(awk, dump).counts).toEqual({ t: 5, u: 1 });
  });

  it("stops with an error naming the table rather than count a statement it cannot read", () => {
    const run = count(awk, "INSERT INTO `t` VALUES (1,'x'),(2,'unterminated);\n");
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("cannot count the rows of t in the dump: an unterminated string");
    expect(run.counts).toBeUndefined();
  });
});

describe("the dump command with its counts", () => {
  /** Runs the real command with `mysqldump` replaced by a script printing `dump` and exiting `code`. */
  function dumpWith(dump: string, code: number) {
    dir = mkdtempSync(join(tmpdir(), "dump-counts-"));
    const fake = join(dir, "mysqldump");
    writeFileSync(join(dir, "dump.sql"), dump);
    writeFileSync(fake, `#!/bin/sh\ncat '${join(dir, "dump.sql")}'\nexit ${code}\n`);
    chmodSync(fake, 0o755);
    const counts = join(dir, "db.counts");
    const command = mysqlDumpWithCountsCommand(sh` --single-transaction ${"lic"}`, counts);
    const run = spawnSync("sh", ["-c", command.text], { env: { PATH: `${dir}:/usr/bin:/bin` } });
    return { status: run.status, stdout: run.stdout.toString(), counts, left: existsSync(counts) };
  }

  it("writes the counts beside the dump", () => {
    const run = dumpWith("CREATE TABLE `a` (\n);\nINSERT INTO `a` VALUES\n(1),\n(2);\n", 0);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("(2);");
    expect(readFileSync(run.counts, "utf8")).toBe("a\t2\n");
  });

  it("fails with mysqldump's status and leaves no counts when the dump fails", () => {
    const run = dumpWith("CREATE TABLE `a` (\n);\nINSERT INTO `a` VALUES\n(1);\n", 2);
    expect(run.status).toBe(2);
    expect(run.left).toBe(false);
  });
});
