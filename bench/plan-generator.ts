/**
 * A large synthetic plan for the benchmark: `workloads` workloads over `sources` source hosts,
 * four tenants (two x86_64, one aarch64, one loongarch64), five waves, each workload after the
 * first wave depending on one or two earlier ones. Deterministic, so runs compare.
 */
export interface GeneratedPlanShape {
  workloads: number;
  sources: number;
  tenants: number;
  waves: number;
  hostsPerTenant: number;
}

export const BENCH_SHAPE: GeneratedPlanShape = {
  workloads: 2000,
  sources: 400,
  tenants: 4,
  waves: 5,
  hostsPerTenant: 50,
};

const ARCHES = ["x86_64", "aarch64", "x86_64", "loongarch64"];

export function generatePlan(shape: GeneratedPlanShape = BENCH_SHAPE): string {
  const out: string[] = [
    "# yaml-language-server: $schema=../../schema/plan.schema.json",
    "apiVersion: migrate/v1",
    "kind: MigrationPlan",
    "metadata:",
    "  name: bench-province",
    "  owner: Benchmark Province",
    "defaults:",
    "  concurrency: 16",
    "  bandwidth: 200MiB/s",
    "sources:",
  ];
  for (let s = 0; s < shape.sources; s++) {
    out.push(
      `  - name: src-${s}`,
      `    address: 10.${Math.floor(s / 250)}.${s % 250}.10`,
      "    user: root",
      "    auth: { keyFile: ~/.ssh/bench_ed25519, passphraseEnv: BENCH_KEY_PASS }",
    );
  }
  out.push("tenants:");
  for (let t = 0; t < shape.tenants; t++) {
    out.push(
      `  - name: tenant-${t}`,
      "    cloud: province-cloud",
      "    zone: egov-intranet",
      "    maxClassification: 4",
      `    arch: ${ARCHES[t % ARCHES.length]}`,
      "    hosts:",
    );
    for (let h = 0; h < shape.hostsPerTenant; h++) {
      out.push(
        `      - { name: t${t}-host-${h}, address: 172.${16 + t}.${h}.10, user: root, auth: { agent: true } }`,
      );
    }
  }
  out.push("workloads:");
  const perWave = Math.ceil(shape.workloads / shape.waves);
  for (let i = 0; i < shape.workloads; i++) {
    const wave = Math.floor(i / perWave) + 1;
    const tenant = i % shape.tenants;
    const portable = ARCHES[tenant % ARCHES.length] !== "x86_64";
    const host = `t${tenant}-host-${i % shape.hostsPerTenant}`;
    const source = `src-${i % shape.sources}`;
    const deps =
      wave === 1
        ? []
        : [`wl-${(i * 7) % ((wave - 1) * perWave)}`, ...(i % 3 === 0 ? [`wl-${i - perWave}`] : [])];
    const day = String(1 + wave * 2).padStart(2, "0");
    out.push(
      `  - name: wl-${i}`,
      `    bureau: bureau-${i % 40}`,
      `    kind: ${["portal", "tax-collection", "licensing", "generic"][i % 4]}`,
      `    classification: ${1 + (i % 3)}`,
      `    zone: ${["internet", "egov-extranet", "egov-intranet"][i % 3]}`,
      `    portable: ${portable}`,
      `    wave: ${wave}`,
      ...(deps.length > 0 ? [`    dependsOn: [${[...new Set(deps)].join(", ")}]`] : []),
      `    source: ${source}`,
      `    target: ${host}`,
      `    window: { start: "2027-03-${day}T22:00+08:00", end: "2027-03-${day}T23:59+08:00" }`,
      `    paths: [/srv/wl-${i}, /etc/wl-${i}]`,
      ...(i % 2 === 0 ? ["    databases:", `      - { engine: postgresql, name: db_${i}, port: 5432 }`] : []),
      `    services: [wl-${i}.service]`,
      "    rewrite:",
      `      - files: [/etc/wl-${i}/app.conf]`,
      `        replace: { "10.0.0.1": "172.16.0.1" }`,
      "    cutover:",
      "      strategy: proxy",
      "      gateway: src-0",
      `      upstreamFile: /etc/nginx/conf.d/wl-${i}.upstream`,
      "    verify:",
      `      - http: { url: "http://10.0.0.1/wl-${i}/health", status: 200 }`,
      ...(i % 2 === 0 ? [`      - rowCount: { database: db_${i}, tables: [t1, t2] }`] : []),
    );
  }
  return `${out.join("\n")}\n`;
}
