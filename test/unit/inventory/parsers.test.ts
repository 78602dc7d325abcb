import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { hostFactsFrom } from "../../../src/inventory/host-facts.ts";
import { parseCrontab } from "../../../src/inventory/parse-cron.ts";
import { parseMysql, parsePostgres } from "../../../src/inventory/parse-databases.ts";
import { filesystemFor, parseDf } from "../../../src/inventory/parse-df.ts";
import { parseNetstat, parseSs } from "../../../src/inventory/parse-listen.ts";
import { parseSystemdUnits, serviceRunning } from "../../../src/inventory/parse-services.ts";
import { parseOsRelease } from "../../../src/inventory/parse-system.ts";
import { splitSections } from "../../../src/inventory/sections.ts";

// Real output of the inventory script on Debian 12 without systemd (nonce abc123), ps list trimmed.
const CAPTURED = readFileSync(new URL("./fixtures/debian12-no-systemd.txt", import.meta.url), "utf8");
const identity = { role: "source" as const, address: "127.0.99.1", port: 2222 };

describe("inventory sections and host facts", () => {
  it("splits only on markers carrying this run's nonce", () => {
    const sections = splitSections(CAPTURED, "abc123");
    expect(sections[0]?.name).toBe("os-release");
    expect(sections.at(-1)?.name).toBe("end");
    expect(splitSections(CAPTURED, "other")).toEqual([]);
    const forged = splitSections("\n@@n1 uname@@\nLinux\n@@n2 path /x@@\n", "n1");
    expect(forged).toEqual([{ name: "uname", arg: "", body: "Linux\n@@n2 path /x@@" }]);
  });

  it("assembles the captured output into facts", () => {
    const facts = hostFactsFrom(
      identity,
      splitSections(CAPTURED, "abc123"),
      ["/work/main/src", "/srv/new"],
      12,
    );
    expect(facts).toMatchObject({
      ok: true,
      arch: "x86_64",
      kernel: "Linux",
      kernelRelease: "6.18.44-fc-v595",
      hostname: "vm",
      cpus: 2,
      os: { id: "debian", version: "12", prettyName: "Debian GNU/Linux 12 (bookworm)" },
      memory: { totalBytes: 24684096 * 1024 },
      servicesFrom: "ps",
      paths: { "/work/main/src": { files: 151, bytes: 476103 }, "/etc/ssh": { files: 9, bytes: 583101 } },
      missingPaths: ["/nonexistent dir"],
    });
    expect(facts.services).toContain("bash");
    expect(facts.freeBytes).toEqual({ "/work/main/src": 83962257408, "/srv/new": 83962257408 });
    expect(facts.listening).toContainEqual({ address: "127.0.11.2", port: 5432, process: "postgres" });
    expect(facts.listening).toContainEqual({ address: "0.0.0.0", port: 2024 });
    expect(facts.databases).toEqual([
      expect.objectContaining({
        engine: "postgresql",
        port: 5432,
        running: false,
        error: expect.stringMatching(/No such file/),
      }),
      expect.objectContaining({ engine: "mysql", port: 3306, running: false, error: "mysql not installed" }),
    ]);
    expect(facts.crontabs).toContainEqual(
      expect.objectContaining({ file: "/etc/cron.d/e2scrub_all", user: "root", schedule: "30 3 * * 0" }),
    );
  });
});

describe("section parsers", () => {
  it("reads quoted os-release values", () => {
    expect(parseOsRelease('NAME="Kylin Linux Advanced Server"\nVERSION_ID="V10"\nID=kylin\n')).toEqual({
      id: "kylin",
      name: "Kylin Linux Advanced Server",
      version: "V10",
    });
  });

  it("keeps mount points with spaces and finds the longest mount prefix", () => {
    const fs = parseDf(
      "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 100 40 60 40% /\n/dev/sdb1 1000 0 1000 0% /srv/data disk\n/dev/sdc 10 1 9 10% /srv\n",
      1024,
    );
    expect(fs.map((f) => f.mount)).toEqual(["/", "/srv/data disk", "/srv"]);
    expect(filesystemFor("/srv/data disk/x", fs)?.freeBytes).toBe(1000 * 1024);
    expect(filesystemFor("/srv/database", fs)?.mount).toBe("/srv");
    expect(filesystemFor("/etc", fs)?.mount).toBe("/");
  });

  it("reads ss and netstat listeners, IPv6 included", () => {
    expect(
      parseSs('LISTEN 0 128 [::]:22 [::]:* users:(("sshd",pid=1,fd=4))\nLISTEN 0 5 *:8080 *:*\n'),
    ).toEqual([
      { address: "::", port: 22, process: "sshd" },
      { address: "*", port: 8080 },
    ]);
    expect(
      parseNetstat(
        "Active Internet connections (only servers)\nProto Recv-Q Send-Q Local Address Foreign Address State PID/Program name\ntcp 0 0 0.0.0.0:3306 0.0.0.0:* LISTEN 812/mysqld\n",
      ),
    ).toEqual([{ address: "0.0.0.0", port: 3306, process: "mysqld" }]);
  });

  it("reads running systemd units and matches declared services", () => {
    const units = parseSystemdUnits(
      "nginx.service loaded active running A high performance web server\ntax.service   loaded active running Tax collection\n",
    );
    expect(units).toEqual(["nginx.service", "tax.service"]);
    expect(serviceRunning("tax", units, false)).toBe(true);
    expect(serviceRunning("tax.service", units, false)).toBe(true);
    expect(serviceRunning("licensing.service", units, false)).toBe(false);
    expect(serviceRunning("land-revenue-collector.service", ["land-revenue-co"], true)).toBe(true);
  });

  it("reads PostgreSQL and MySQL answers, database names with separators included", () => {
    const pg = parsePostgres(
      5432,
      "version|15.18 (Debian 15.18-0+deb12u1)\npostgres|7634279\ntax_collection|38273539\nodd|name|42\n",
    );
    expect(pg).toEqual({
      engine: "postgresql",
      port: 5432,
      running: true,
      version: "15.18 (Debian 15.18-0+deb12u1)",
      databases: [
        { name: "odd|name", bytes: 42 },
        { name: "postgres", bytes: 7634279 },
        { name: "tax_collection", bytes: 38273539 },
      ],
    });
    const my = parseMysql(3306, "version\t8.0.36\ninformation_schema\t0\nlicensing\t1048576\nempty\tNULL\n");
    expect(my.databases).toEqual([
      { name: "empty", bytes: 0 },
      { name: "licensing", bytes: 1048576 },
    ]);
    expect(parseMysql(3306, "ERROR 2002 (HY000): Can't connect to local MySQL server\n")).toMatchObject({
      running: false,
      error: expect.stringContaining("ERROR 2002"),
    });
  });

  it("reads user and system crontabs, skipping comments and variables", () => {
    expect(
      parseCrontab(
        "/var/spool/cron/crontabs/www-data",
        "MAILTO=ops\n# c\n*/15 * * * * /srv/app/bin/job --x\n@daily /srv/app/rotate\n",
      ),
    ).toEqual([
      {
        file: "/var/spool/cron/crontabs/www-data",
        user: "www-data",
        schedule: "*/15 * * * *",
        command: "/srv/app/bin/job --x",
      },
      {
        file: "/var/spool/cron/crontabs/www-data",
        user: "www-data",
        schedule: "@daily",
        command: "/srv/app/rotate",
      },
    ]);
    expect(
      parseCrontab(
        "/etc/crontab",
        "SHELL=/bin/sh\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n",
      ),
    ).toEqual([
      {
        file: "/etc/crontab",
        user: "root",
        schedule: "17 * * * *",
        command: "cd / && run-parts --report /etc/cron.hourly",
      },
    ]);
  });
});
