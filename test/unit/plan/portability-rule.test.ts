import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { driftFindings } from "../../../src/inventory/drift.ts";
import { analyzePlanText } from "../../../src/plan/analyze.ts";
import type { InventoryFacts } from "../../../src/plan/inventory-facts.ts";
import type { NativeFile, WorkloadPortability } from "../../../src/plan/portability-facts.ts";
import { Plan } from "../../../src/plan/schema.ts";
import { buildReadiness, readinessText } from "../../../src/report/readiness.ts";
import { FIXTURE_NOW, planText, workload } from "./plan-fixture.ts";

const analyze = (text: string, inventory?: InventoryFacts) =>
  analyzePlanText("plan.yaml", text, { now: FIXTURE_NOW, ...(inventory ? { inventory } : {}) }).diagnostics;

function scan(native: NativeFile[], extra: Partial<WorkloadPortability> = {}): WorkloadPortability {
  return {
    source: "src-01",
    candidates: native.length + 2,
    nativeCount: native.length,
    machines: {},
    native,
    runtimes: [],
    truncated: false,
    ...extra,
  };
}

const ledgerd: NativeFile = {
  path: "/srv/tax/bin/ledgerd",
  kind: "executable",
  machine: "x86_64",
  from: "header",
};
const jarX86: NativeFile = {
  path: "/srv/lic/lib/seal.jar",
  kind: "archive-entry",
  machine: "x86_64",
  entry: "native/linux-x86_64/libseal.so",
  from: "header",
};

/** One workload moving to the aarch64 tenant, declared portable or not. */
const armPlan = (portable: boolean) =>
  planText({
    workloads: workload("tax", `    portable: ${portable}\n`)
      .replace("target: tgt-01", "target: arm-01")
      .replace("zone: egov-extranet", "zone: egov-intranet"),
  });

const facts = (found: WorkloadPortability): InventoryFacts => ({
  hosts: { "src-01": { arch: "x86_64" } },
  workloads: { tax: found },
});

describe("the CPU rule with measured portability", () => {
  it("changes nothing without --inventory", () => {
    expect(analyze(armPlan(true))).toEqual([]);
    expect(analyze(armPlan(false)).map((d) => d.code)).toEqual(["arch"]);
    // Nor with an inventory written before the scan existed.
    expect(analyze(armPlan(true), { hosts: { "src-01": { arch: "x86_64" } } })).toEqual([]);
  });

  it("refuses portable: true when the source carries code for another CPU, naming the first files", () => {
    const found = scan([ledgerd, jarX86, { ...ledgerd, path: "/srv/tax/bin/a" }, { ...ledgerd, path: "/b" }]);
    const [d, ...rest] = analyze(armPlan(true), facts(found));
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ severity: "error", code: "portable-native" });
    expect(d!.message).toBe(
      'workload "tax" is declared portable but carries x86_64 native code that will not run on aarch64 tenant "arm": ' +
        "/srv/tax/bin/ledgerd (x86_64), /srv/lic/lib/seal.jar!/native/linux-x86_64/libseal.so (x86_64), /srv/tax/bin/a (x86_64) and 1 more",
    );
    expect(d!.hint).toBe(
      "rebuild /srv/tax/bin/ledgerd for aarch64; until then set portable: false and choose a tenant on x86_64",
    );
    expect(armPlan(true).split("\n")[d!.line - 1]).toContain("portable: true");
  });

  it("accepts portable: true when the natives are for the tenant's CPU or never load on Linux", () => {
    const arm = { ...ledgerd, machine: "aarch64" };
    const multi = [jarX86, { ...jarX86, entry: "native/linux-aarch64/libseal.so", machine: "aarch64" }];
    const windows = {
      ...jarX86,
      path: "/srv/x.jar",
      entry: "w/x.dll",
      machine: "windows",
      from: "name" as const,
    };
    expect(analyze(armPlan(true), facts(scan([arm, ...multi, windows])))).toEqual([]);
  });

  it("gives the first target-specific step where a non-portable workload moves CPU", () => {
    const [d] = analyze(armPlan(false), facts(scan([ledgerd])));
    expect(d).toMatchObject({ severity: "error", code: "arch" });
    expect(d!.hint).toBe(
      "first step: rebuild /srv/tax/bin/ledgerd for aarch64; then set portable: true, or choose a x86_64 tenant",
    );
    const [jar] = analyze(armPlan(false), facts(scan([jarX86])));
    expect(jar!.hint).toMatch(
      /^first step: rebuild \/srv\/lic\/lib\/seal.jar with an aarch64 build of native\//,
    );
  });

  it("hints that portable: false may be too cautious when nothing native was found", () => {
    const runtimes = [
      { service: "tax.service", name: "python" as const, executable: "/usr/bin/python3", version: "3.11.2" },
    ];
    const same = planText({ workloads: workload("tax", "    portable: false\n") });
    const [d, ...rest] = analyze(same, facts(scan([], { runtimes })));
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ severity: "warning", code: "portable-possible" });
    expect(d!.message).toContain("found no CPU-specific files in its paths (2 executables");
    expect(d!.hint).toContain("its runtimes (python 3.11.2) come from the target's OS");
    // A scan cut at its limit proves nothing.
    expect(analyze(same, facts(scan([], { truncated: true })))).toEqual([]);
    // Only Windows libraries: still nothing that runs on Linux.
    const dll = { ...jarX86, machine: "windows" };
    expect(analyze(same, facts(scan([dll]))).map((x) => x.code)).toEqual(["portable-possible"]);
  });

  it("inventory's drift report says the same, with the step in the arch-mismatch hint", () => {
    const plan = Plan.parse(parse(armPlan(false)));
    const hosts = {
      "src-01": { role: "source" as const, address: "a", port: 22, ok: true, durationMs: 1, arch: "x86_64" },
    };
    const [mismatch] = driftFindings(plan, hosts, { tax: scan([ledgerd]) });
    expect(mismatch).toMatchObject({ code: "arch-mismatch" });
    expect(mismatch!.hint).toBe(
      "first step: rebuild /srv/tax/bin/ledgerd for aarch64; or choose a x86_64 tenant",
    );
    const portable = Plan.parse(parse(armPlan(true)));
    expect(driftFindings(portable, hosts, { tax: scan([ledgerd]) }).map((f) => f.code)).toEqual([
      "portable-native",
    ]);
    expect(driftFindings(portable, hosts)).toEqual([]);
  });
});

describe("domestic-CPU readiness", () => {
  const text = planText({
    workloads: [
      workload("portal", "    portable: true\n"),
      workload("tax").replace("bureau: test", "bureau: finance"),
      workload("lic", "    portable: true\n")
        .replace("target: tgt-01", "target: arm-01")
        .replace("zone: egov-extranet", "zone: egov-intranet"),
      workload("old").replace("bureau: test", "bureau: finance"),
    ].join(""),
  });
  const plan = Plan.parse(parse(text));
  const python = {
    service: "tax.service",
    name: "python" as const,
    executable: "/usr/bin/python3",
    version: "3.11.2",
    machine: "x86_64",
  };
  const inventory: InventoryFacts = {
    hosts: {},
    workloads: {
      portal: scan([]),
      tax: scan([ledgerd], { runtimes: [python] }),
      lic: scan([{ ...jarX86, entry: "native/linux-loongarch64/libseal.so", machine: "loongarch64" }]),
    },
  };

  it("sorts systems per bureau: portable as is, native components to rebuild, runtimes to build", () => {
    const bureaus = buildReadiness(plan, inventory);
    expect(bureaus.map((b) => [b.bureau, b.portableAsIs, b.needRebuild, b.notScanned, b.runtimes])).toEqual([
      ["test", 1, 1, 0, []],
      ["finance", 0, 1, 1, ["python 3.11.2 for aarch64"]],
    ]);
    const tax = bureaus[1]!.rows[0]!;
    // An x86_64 tenant is checked against aarch64, the reference domestic CPU.
    expect(tax).toMatchObject({
      arch: "aarch64",
      rebuild: ["/srv/tax/bin/ledgerd (x86_64)"],
      runtimes: ["python 3.11.2"],
    });
    // A tenant on aarch64 is checked against its own CPU: a loongarch64 library needs a rebuild.
    expect(bureaus[0]!.rows[1]).toMatchObject({ workload: "lic", arch: "aarch64", portableAsIs: false });
    expect(buildReadiness(plan, inventory, "finance").map((b) => b.bureau)).toEqual(["finance"]);
  });

  it("renders aligned text for plan", () => {
    const text = readinessText(buildReadiness(plan, inventory));
    expect(text).toContain(
      "finance  2        0               1                     python 3.11.2 for aarch64",
    );
    expect(text).toMatch(
      /tax\s+aarch64\s+rebuild native components\s+\/srv\/tax\/bin\/ledgerd \(x86_64\)\s+python 3\.11\.2/,
    );
    expect(text).toMatch(/old\s+aarch64\s+not scanned/);
  });
});
