/**
 * The configuration the fleet gives its DNS and MariaDB servers, read without starting them:
 * each listens on its host's own address only (a wildcard listener would take the port from
 * every other fleet host), and the DNS zone accepts updates only with the fleet's TSIG key.
 */
import { describe, expect, it } from "vitest";
import { DNS_KEY_NAME, namedConf, tsigKey, zoneFile } from "../../../fixtures/fleet/dns-server.ts";
import { mariadbServerCnf, mariadbServerId } from "../../../fixtures/fleet/mariadb-config.ts";
import { hostSpec } from "../../../fixtures/fleet/topology.ts";

describe("fleet DNS server config", () => {
  const gw = hostSpec("gw");

  it("listens on the gateway's address only, without recursion or an rndc channel", () => {
    const conf = namedConf(gw);
    expect(conf).toContain(`listen-on port 53 { ${gw.address}; };`);
    expect(conf).toContain("listen-on-v6 { none; };");
    expect(conf).toContain("recursion no;");
    expect(conf).toContain("controls { };");
  });

  it("lets only the TSIG key update the zone, whose records start at the sources", () => {
    expect(namedConf(gw)).toContain(`update-policy { grant ${DNS_KEY_NAME} zonesub ANY; };`);
    expect(zoneFile(gw)).toContain(`licensing IN A ${hostSpec("lic-src").address}`);
    expect(tsigKey("c2VjcmV0")).toBe(
      `key "${DNS_KEY_NAME}" {\n\talgorithm hmac-sha256;\n\tsecret "c2VjcmV0";\n};\n`,
    );
  });
});

describe("fleet MariaDB config", () => {
  it("binds each server to its host's address and its own socket", () => {
    for (const name of ["lic-src", "tgt-3"]) {
      const host = hostSpec(name);
      const cnf = mariadbServerCnf(host);
      expect(cnf).toContain(`bind-address = ${host.address}\n`);
      expect(cnf).toContain("socket = /run/mysqld/mysqld.sock");
      expect(cnf).not.toMatch(/0\.0\.0\.0|127\.0\.0\.1/);
    }
  });

  it("gives the licensing source row-based binlogs and every server its own server_id (issue 12)", () => {
    expect(mariadbServerCnf(hostSpec("lic-src"))).toMatch(
      /log-bin = mysql-bin\nbinlog_format = ROW\nbinlog_row_image = FULL/,
    );
    expect(mariadbServerCnf(hostSpec("tgt-3"))).toContain("skip-log-bin");
    const ids = ["lic-src", "tgt-3"].map((name) => mariadbServerId(hostSpec(name)));
    expect(new Set(ids).size).toBe(2);
    expect(ids.every((id) => id > 0)).toBe(true);
    expect(mariadbServerCnf(hostSpec("lic-src"))).toContain(`server_id = ${ids[0]}\n`);
  });
});
