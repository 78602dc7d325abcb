/** A small valid plan as YAML text, with hooks to change one part per test. */

/** A time before the fixture's maintenance windows (2026-12-05 22:00 +08:00), for analyses that must not age. */
export const FIXTURE_NOW = Date.parse("2026-12-01T00:00Z");
export interface FixtureParts {
  defaults?: string;
  sources?: string;
  tenants?: string;
  workloads?: string;
}

export const SOURCES = `  - name: src-01
    address: 10.9.0.11
    user: root
    auth: { agent: true }
  - name: gw-01
    address: 10.9.0.2
    user: root
    auth: { agent: true }
`;

export const TENANTS = `  - name: ext
    cloud: test-cloud
    zone: egov-extranet
    maxClassification: 3
    arch: x86_64
    hosts:
      - { name: tgt-01, address: 172.16.9.11, user: root, auth: { agent: true } }
  - name: arm
    cloud: test-cloud
    zone: egov-intranet
    maxClassification: 4
    arch: aarch64
    hosts:
      - { name: arm-01, address: 172.17.9.11, user: root, auth: { agent: true } }
`;

export function workload(name: string, extra = "", wave = 1): string {
  return `  - name: ${name}
    bureau: test
    kind: generic
    classification: 2
    zone: egov-extranet
    wave: ${wave}
    source: src-01
    target: tgt-01
    window: { start: "2026-12-05T22:00+08:00", end: "2026-12-06T02:00+08:00" }
    paths: [/srv/${name}]
    verify:
      - tcp: { host: tgt-01, port: 22 }
${extra}`;
}

export function planText(parts: FixtureParts = {}): string {
  return `apiVersion: migrate/v1
kind: MigrationPlan
metadata:
  name: fixture
  owner: Test
${parts.defaults ?? ""}sources:
${parts.sources ?? SOURCES}tenants:
${parts.tenants ?? TENANTS}workloads:
${parts.workloads ?? workload("app")}`;
}
