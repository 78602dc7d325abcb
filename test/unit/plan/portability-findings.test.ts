/**
 * What `validate --inventory`, `inventory` and the sign-off report say about measured native
 * code: the first step to take per kind of file, the list of files shown, and the declared
 * `portable` checked against what was found, in full (message, place, hint).
 */
import { describe, expect, it } from "vitest";
import type { NativeFile, WorkloadPortability } from "../../../src/plan/portability-facts.ts";
import { listNatives, portabilityFindings, stepFor } from "../../../src/plan/portability-findings.ts";
import type { Workload } from "../../../src/plan/schema.ts";

const native = (path: string, machine: string, kind: NativeFile["kind"] = "shared-object"): NativeFile => ({
  path,
  kind,
  machine,
  from: "header",
});

function facts(files: NativeFile[], extra: Partial<WorkloadPortability> = {}): WorkloadPortability {
  return {
    source: "src-01",
    candidates: 12,
    nativeCount: files.length,
    machines: {},
    native: files,
    runtimes: [],
    truncated: false,
    ...extra,
  };
}

const workload = (portable: boolean) => ({ name: "tax", portable }) as Workload;
const arm = { name: "arm", arch: "aarch64" };

describe("the first step for a native file", () => {
  it("names the rebuild that fits each kind of file", () => {
    expect(stepFor(native("/srv/app/ext.so", "x86_64", "python-extension"), "aarch64")).toBe(
      "rebuild /srv/app/ext.so for aarch64 (reinstall its Python package on the target)",
    );
    expect(stepFor(native("/srv/app/addon.node", "x86_64", "node-addon"), "aarch64")).toBe(
      "rebuild /srv/app/addon.node for aarch64 (npm rebuild on the target)",
    );
    expect(stepFor(native("/srv/app/bin/ledgerd", "x86_64", "executable"), "aarch64")).toBe(
      "rebuild /srv/app/bin/ledgerd for aarch64",
    );
    expect(
      stepFor({ ...native("/srv/app/x.jar", "x86_64", "archive-entry"), entry: "native/libx.so" }, "aarch64"),
    ).toBe("rebuild /srv/app/x.jar with an aarch64 build of native/libx.so");
  });
});

describe("the list of native files shown", () => {
  const files = ["a", "b", "c", "d"].map((n) => native(`/srv/${n}.so`, "x86_64"));

  it("shows up to three files, then how many more", () => {
    expect(listNatives(files.slice(0, 3))).toBe("/srv/a.so (x86_64), /srv/b.so (x86_64), /srv/c.so (x86_64)");
    expect(listNatives(files)).toBe("/srv/a.so (x86_64), /srv/b.so (x86_64), /srv/c.so (x86_64) and 1 more");
  });

  it("counts the files the scan found beyond the ones it kept", () => {
    expect(listNatives(files.slice(0, 1), 1)).toBe("/srv/a.so (x86_64)");
    expect(listNatives(files.slice(0, 2), 40)).toBe("/srv/a.so (x86_64), /srv/b.so (x86_64) and 38 more");
  });
});

describe("declared portable against measured", () => {
  it("refuses portable: true over code for other CPUs, naming each machine once", () => {
    const found = facts([
      native("/srv/tax/bin/ledgerd", "x86_64", "executable"),
      native("/srv/tax/lib/libold.so", "i386"),
      native("/srv/tax/lib/libx.so", "x86_64"),
    ]);
    expect(portabilityFindings(workload(true), arm, found, ["workloads", 2])).toEqual([
      {
        severity: "error",
        code: "portable-native",
        message:
          'workload "tax" is declared portable but carries x86_64, i386 native code that will not run on aarch64 tenant "arm": /srv/tax/bin/ledgerd (x86_64), /srv/tax/lib/libold.so (i386), /srv/tax/lib/libx.so (x86_64)',
        path: ["workloads", 2, "portable"],
        hint: "rebuild /srv/tax/bin/ledgerd for aarch64; until then set portable: false and choose a tenant on x86_64",
      },
    ]);
  });

  it("says portable: false may be too cautious, naming the runtimes the target's OS provides", () => {
    const found = facts([], {
      runtimes: [
        { service: "tax.service", name: "java", executable: "/usr/bin/java", version: "17.0.9" },
        { service: "tax-cron.service", name: "python", executable: "/usr/bin/python3" },
      ],
    });
    expect(portabilityFindings(workload(false), arm, found, ["workloads", 2])).toEqual([
      {
        severity: "warning",
        code: "portable-possible",
        message:
          'workload "tax" is declared portable: false, but inventory found no CPU-specific files in its paths (12 executables, libraries and archives read)',
        path: ["workloads", 2, "portable"],
        hint: "set portable: true if nothing else it needs is native; its runtimes (java 17.0.9, python) come from the target's OS",
      },
    ]);
    expect(portabilityFindings(workload(false), arm, facts([]), ["workloads", 0])[0]?.hint).toBe(
      "set portable: true if nothing else it needs is native",
    );
  });

  it("says nothing when the scan was cut short, or when the declaration matches", () => {
    expect(
      portabilityFindings(workload(false), arm, facts([], { truncated: true }), ["workloads", 0]),
    ).toEqual([]);
    expect(
      portabilityFindings(workload(true), arm, facts([native("/srv/a.so", "aarch64")]), ["workloads", 0]),
    ).toEqual([]);
    expect(
      portabilityFindings(workload(false), arm, facts([native("/srv/a.so", "x86_64")]), ["workloads", 0]),
    ).toEqual([]);
  });
});
