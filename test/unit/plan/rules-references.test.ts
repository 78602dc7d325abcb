/**
 * References, names and secrets as `validate` reports them: every host a workload names must be
 * a host of the right kind, jump chains must end, names are unique, and no secret is inline.
 */
import { describe, expect, it } from "vitest";
import { analyzePlanText } from "../../../src/plan/analyze.ts";
import { FIXTURE_NOW, planText, SOURCES, TENANTS, workload } from "./plan-fixture.ts";

type Parts = Parameters<typeof planText>[0];
const findings = (parts: Parts) =>
  analyzePlanText("plan.yaml", planText(parts), { now: FIXTURE_NOW })
    .diagnostics.filter((d) => d.severity === "error")
    .map((d) => [d.code, d.message, d.path]);

describe("references", () => {
  it("a source must be a source host and a target a tenant host", () => {
    expect(findings({ workloads: workload("app").replace("source: src-01", "source: tgt-01") })).toEqual([
      [
        "invalid-reference",
        'source "tgt-01" is a host of tenant "ext", not a source host',
        ["workloads", 0, "source"],
      ],
    ]);
    expect(findings({ workloads: workload("app").replace("target: tgt-01", "target: src-01") })).toEqual([
      [
        "invalid-reference",
        'target "src-01" is a source host; targets must be hosts of a tenant',
        ["workloads", 0, "target"],
      ],
    ]);
    expect(findings({ workloads: workload("app").replace("source: src-01", "source: src-1") })).toEqual([
      [
        "unknown-reference",
        'source "src-1" is not a source host; did you mean "src-01"?',
        ["workloads", 0, "source"],
      ],
    ]);
    expect(findings({ workloads: workload("app").replace("target: tgt-01", "target: tgt-1") })).toEqual([
      [
        "unknown-reference",
        'target "tgt-1" is not a tenant host; did you mean "tgt-01"?',
        ["workloads", 0, "target"],
      ],
    ]);
  });

  it("every host a cutover or check names must be in the plan", () => {
    const extra = [
      "    services: [nginx.service]",
      "    cutover: { strategy: command, host: gw-1, run: switch, undo: back }",
      "    verify:",
      "      - tcp: { host: tgt-02, port: 22 }",
      "      - command: { host: nowhere, run: 'true' }",
      "      - http: { url: 'http://10.0.0.1/', from: src-02 }",
      "",
    ].join("\n");
    const text = workload("app", extra).replace("    verify:\n      - tcp: { host: tgt-01, port: 22 }\n", "");
    expect(findings({ workloads: text })).toEqual([
      [
        "unknown-reference",
        'cutover host "gw-1" is not a host in this plan; did you mean "gw-01"?',
        ["workloads", 0, "cutover", "host"],
      ],
      [
        "unknown-reference",
        'verify host "tgt-02" is not a host in this plan; did you mean "tgt-01"?',
        ["workloads", 0, "verify", 0, "tcp", "host"],
      ],
      [
        "unknown-reference",
        'verify host "nowhere" is not a host in this plan',
        ["workloads", 0, "verify", 1, "command", "host"],
      ],
      [
        "unknown-reference",
        'verify host "src-02" is not a host in this plan; did you mean "src-01"?',
        ["workloads", 0, "verify", 2, "http", "from"],
      ],
    ]);
    const proxy = workload(
      "app",
      "    services: [nginx.service]\n    cutover: { strategy: proxy, gateway: gw-02, upstreamFile: /etc/nginx/u.conf }\n",
    );
    expect(findings({ workloads: proxy })).toEqual([
      [
        "unknown-reference",
        'gateway "gw-02" is not a host in this plan; did you mean "gw-01"?',
        ["workloads", 0, "cutover", "gateway"],
      ],
    ]);
  });

  it("a rowCount database must be one the workload lists", () => {
    const text = workload(
      "db",
      "    databases: [{ engine: postgresql, name: revenue }]\n    verify:\n      - rowCount: { database: revenu, tables: [t] }\n",
    ).replace("    verify:\n      - tcp: { host: tgt-01, port: 22 }\n", "");
    expect(findings({ workloads: text })).toEqual([
      [
        "unknown-reference",
        'rowCount database "revenu" is not one of this workload\'s databases; did you mean "revenue"?',
        ["workloads", 0, "verify", 0, "rowCount", "database"],
      ],
    ]);
    const none = workload(
      "app",
      "    verify:\n      - rowCount: { database: revenue, tables: [t] }\n",
    ).replace("    verify:\n      - tcp: { host: tgt-01, port: 22 }\n", "");
    expect(findings({ workloads: none })).toEqual([
      [
        "unknown-reference",
        'rowCount database "revenue" is not one of this workload\'s databases; this workload lists no databases',
        ["workloads", 0, "verify", 0, "rowCount", "database"],
      ],
    ]);
  });

  it("a dependency must be a workload of the plan", () => {
    const text = workload("db") + workload("app", "    dependsOn: [dbx]\n");
    expect(findings({ workloads: text })).toEqual([
      [
        "unknown-reference",
        'dependsOn "dbx" is not a workload in this plan; did you mean "db"?',
        ["workloads", 1, "dependsOn", 0],
      ],
    ]);
  });

  it("jump hosts must exist, must not be the host itself, and must not loop", () => {
    const via = (a: string, b: string) =>
      SOURCES.replace("    address: 10.9.0.11\n", `    address: 10.9.0.11\n    via: ${a}\n`).replace(
        "    address: 10.9.0.2\n",
        `    address: 10.9.0.2\n${b ? `    via: ${b}\n` : ""}`,
      );
    expect(findings({ sources: via("gw-01", "") })).toEqual([]);
    expect(findings({ sources: via("src-01", "") })).toEqual([
      ["invalid-reference", 'host "src-01" cannot be its own jump host', ["sources", 0, "via"]],
    ]);
    expect(findings({ sources: via("gw-1", "") })).toEqual([
      [
        "unknown-reference",
        'jump host "gw-1" is not a host in this plan; did you mean "gw-01"?',
        ["sources", 0, "via"],
      ],
    ]);
    expect(findings({ sources: via("gw-01", "src-01") })).toEqual([
      ["cycle", "jump hosts loop: src-01 -> gw-01 -> src-01", ["sources", 0, "via"]],
      ["cycle", "jump hosts loop: gw-01 -> src-01 -> gw-01", ["sources", 1, "via"]],
    ]);
  });
});

describe("unique names", () => {
  it("a host name is unique across sources and tenants, saying where it is already used", () => {
    const tenants = TENANTS.replace("{ name: arm-01,", "{ name: src-01,");
    expect(findings({ tenants })).toEqual([
      [
        "duplicate-host",
        'duplicate host name "src-01"; it is already a source host (host names must be unique across sources and tenants)',
        ["tenants", 1, "hosts", 0, "name"],
      ],
    ]);
    const twice = TENANTS.replace("{ name: arm-01,", "{ name: tgt-01,");
    expect(findings({ tenants: twice })[0]).toEqual([
      "duplicate-host",
      'duplicate host name "tgt-01"; it is already a tenant host (host names must be unique across sources and tenants)',
      ["tenants", 1, "hosts", 0, "name"],
    ]);
    const sources = `${SOURCES}  - name: gw-01\n    address: 10.9.0.3\n    user: root\n    auth: { agent: true }\n`;
    expect(findings({ sources })[0]).toEqual([
      "duplicate-host",
      'duplicate host name "gw-01"; it is already a source host (host names must be unique across sources and tenants)',
      ["sources", 2, "name"],
    ]);
  });

  it("tenant, workload and database names are unique in their scope", () => {
    const tenants = TENANTS.replace("  - name: arm\n", "  - name: ext\n");
    expect(findings({ tenants }).map((f) => f[0])).toContain("duplicate-tenant");
    expect(findings({ tenants }).find((f) => f[0] === "duplicate-tenant")).toEqual([
      "duplicate-tenant",
      'duplicate tenant name "ext" (tenant names must be unique in a plan)',
      ["tenants", 1, "name"],
    ]);
    expect(findings({ workloads: workload("app") + workload("app") })).toEqual([
      [
        "duplicate-workload",
        'duplicate workload name "app" (workload names must be unique in a plan)',
        ["workloads", 1, "name"],
      ],
    ]);
    const dbs = (list: string) => workload("db", `    databases: ${list}\n`);
    expect(
      findings({
        workloads: dbs(
          "[{ engine: postgresql, name: r }, { engine: mysql, name: r }, { engine: postgresql, name: r, port: 5433 }, { engine: postgresql, name: r, port: 5434 }]",
        ),
      }),
    ).toEqual([]);
    expect(
      findings({ workloads: dbs("[{ engine: postgresql, name: r }, { engine: postgresql, name: r }]") }),
    ).toEqual([
      ["duplicate-database", 'database "r" is listed twice', ["workloads", 0, "databases", 1, "name"]],
    ]);
  });
});

describe("secrets", () => {
  it("refuses a private key pasted anywhere, at its place, however deep", () => {
    const key = '"-----BEGIN OPENSSH PRIVATE KEY-----\\nAAAA\\n-----END OPENSSH PRIVATE KEY-----"';
    const text = workload("app", `    commands: ["echo ok", ${key}]\n`);
    expect(findings({ workloads: text })).toEqual([
      [
        "inline-secret",
        "a private key is written inline; secrets must not be inline: use auth: { keyFile: <path> } with passphraseEnv",
        ["workloads", 0, "commands", 1],
      ],
    ]);
    // A public key or a certificate is not a secret.
    const pub = workload(
      "app",
      '    commands: ["-----BEGIN PUBLIC KEY----- x", "-----BEGIN CERTIFICATE-----"]\n',
    );
    expect(findings({ workloads: pub })).toEqual([]);
  });

  it("walks past empty, numeric and boolean values to a key in a later entry", () => {
    // `~`, numbers and booleans sit beside the key in the same list and mapping.
    const key = '"-----BEGIN RSA PRIVATE KEY-----\\nAAAA\\n-----END RSA PRIVATE KEY-----"';
    const text = workload("app", `    x-notes: [~, 3, true, { a: ~, b: [~], c: ${key} }]\n`);
    expect(findings({ workloads: text }).filter((f) => f[0] === "inline-secret")).toEqual([
      [
        "inline-secret",
        "a private key is written inline; secrets must not be inline: use auth: { keyFile: <path> } with passphraseEnv",
        ["workloads", 0, "x-notes", 3, "c"],
      ],
    ]);
  });

  it("a key pasted as keyFile is one error, the inline key, not also a path with a newline", () => {
    const key = "-----BEGIN OPENSSH PRIVATE KEY-----\\nAAAA\\n-----END OPENSSH PRIVATE KEY-----";
    const sources = SOURCES.replace("auth: { agent: true }", `auth: { keyFile: "${key}" }`);
    expect(findings({ sources }).map((f) => [f[0], f[2]])).toEqual([
      ["inline-secret", ["sources", 0, "auth", "keyFile"]],
    ]);
    // A path with a newline that is no key is still refused as a path.
    const newline = SOURCES.replace("auth: { agent: true }", 'auth: { keyFile: "/home/ops/.ssh/id\\nx" }');
    expect(findings({ sources: newline }).map((f) => [f[0], f[2]])).toEqual([
      ["path", ["sources", 0, "auth", "keyFile"]],
    ]);
  });
});

describe("paths in the plan", () => {
  it("locates each bad path, naming which field it is", () => {
    const extra = [
      "    rewrite: [{ files: [etc/app.conf], replace: { a: b } }]",
      "    services: [nginx.service]",
      "    cutover: { strategy: proxy, gateway: gw-01, upstreamFile: /etc/nginx/../u.conf }",
      "",
    ].join("\n");
    const text = workload("app", extra).replace(
      "    paths: [/srv/app]\n",
      "    paths: [/srv/app, /srv//data, /, /srv/a\\rb]\n",
    );
    const quoted = text.replace("/srv/a\\rb", '"/srv/a\\rb"');
    expect(findings({ workloads: quoted })).toEqual([
      ["path", 'path "/srv//data" must be normalized (write "/srv/data")', ["workloads", 0, "paths", 1]],
      [
        "path",
        "refusing to transfer the whole root file system; list the application's directories",
        ["workloads", 0, "paths", 2],
      ],
      ["path", 'path "/srv/a\\rb" contains a newline', ["workloads", 0, "paths", 3]],
      [
        "path",
        'rewrite file "etc/app.conf" must be absolute (start with /)',
        ["workloads", 0, "rewrite", 0, "files", 0],
      ],
      [
        "path",
        "upstreamFile \"/etc/nginx/../u.conf\" must not contain '..'",
        ["workloads", 0, "cutover", "upstreamFile"],
      ],
    ]);
  });

  it("refuses a key file path with a newline, at the host's auth", () => {
    const sources = SOURCES.replace(
      "    auth: { agent: true }\n",
      '    auth: { keyFile: "/root/.ssh/id\\nx" }\n',
    );
    expect(findings({ sources })).toEqual([
      [
        "path",
        'keyFile "/root/.ssh/id\\nx" contains a NUL byte or newline',
        ["sources", 0, "auth", "keyFile"],
      ],
    ]);
    const tenants = TENANTS.replace(
      "{ name: tgt-01, address: 172.16.9.11, user: root, auth: { agent: true } }",
      '{ name: tgt-01, address: 172.16.9.11, user: root, auth: { keyFile: "/k\\rx" } }',
    );
    expect(findings({ tenants })).toEqual([
      [
        "path",
        'keyFile "/k\\rx" contains a NUL byte or newline',
        ["tenants", 0, "hosts", 0, "auth", "keyFile"],
      ],
    ]);
  });

  it("a duplicated host name keeps meaning its first entry: a workload naming it is not refused twice", () => {
    const tenants = TENANTS.replace("{ name: arm-01,", "{ name: src-01,");
    expect(findings({ tenants }).map((f) => f[0])).toEqual(["duplicate-host"]);
  });

  it("locates a tenant host's jump host at that host", () => {
    const tenants = TENANTS.replace(
      "user: root, auth: { agent: true } }\n  - name: arm",
      "user: root, via: tgt-01, auth: { agent: true } }\n  - name: arm",
    );
    expect(findings({ tenants })).toEqual([
      ["invalid-reference", 'host "tgt-01" cannot be its own jump host', ["tenants", 0, "hosts", 0, "via"]],
    ]);
  });
});
